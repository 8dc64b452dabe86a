"use client";

import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { useApiKey, writeApiKey } from "../lib/apiKey.ts";

/** Entry of the API key; kept in sessionStorage for this tab only. */
export function ApiKeyForm() {
  const key = useApiKey();
  const [draft, setDraft] = useState("");
  const queryClient = useQueryClient();
  const id = useId();

  function save(event: FormEvent) {
    event.preventDefault();
    writeApiKey(draft.trim() || null);
    setDraft("");
    void queryClient.invalidateQueries();
  }

  function clear() {
    writeApiKey(null);
    void queryClient.invalidateQueries();
  }

  return (
    <form className="api-key" onSubmit={save}>
      <label htmlFor={id}>API key</label>
      <input
        id={id}
        type="password"
        autoComplete="off"
        placeholder={key ? "saved for this tab" : "not set"}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit">Save</button>
      {key ? (
        <button type="button" className="secondary" onClick={clear}>
          Forget
        </button>
      ) : null}
    </form>
  );
}
