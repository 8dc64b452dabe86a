"use client";

import { type FormEvent, type KeyboardEvent, useState } from "react";
import { ErrorNote } from "../ErrorNote.tsx";
import { MessageList } from "./MessageList.tsx";
import { ParamsForm } from "./ParamsForm.tsx";
import { DEFAULT_PARAMS } from "./types.ts";
import { useChatStream } from "./useChatStream.ts";

function announce(status: string | undefined): string {
  if (status === "streaming") return "Sluice is answering";
  if (status === "done") return "Answer complete";
  if (status === "stopped") return "Generation stopped";
  return "";
}

export function ChatView() {
  const [params, setParams] = useState(DEFAULT_PARAMS);
  const [draft, setDraft] = useState("");
  const chat = useChatStream();

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || chat.streaming) return;
    chat.send(text, params);
    setDraft("");
  }

  // Enter sends, Shift+Enter adds a line, as in most chat tools; Escape stops.
  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape" && chat.streaming) {
      event.preventDefault();
      chat.stop();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <div className="chat">
      <section className="chat-main" aria-label="Conversation">
        <MessageList entries={chat.entries} />
        {/* Announces the answer's state once, rather than every streamed token. */}
        <p className="visually-hidden" role="status">
          {announce(chat.entries.at(-1)?.status)}
        </p>
        {chat.error ? <ErrorNote error={chat.error} /> : null}
        <form className="composer" onSubmit={submit}>
          <label htmlFor="prompt" className="visually-hidden">
            Message
          </label>
          <textarea
            id="prompt"
            name="prompt"
            rows={3}
            placeholder="Message (Enter sends, Shift+Enter adds a line, Esc stops)"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
          />
          <div className="composer-actions">
            {chat.streaming ? (
              <button type="button" className="danger" onClick={chat.stop}>
                Stop
              </button>
            ) : (
              <button type="submit" disabled={!draft.trim()}>
                Send
              </button>
            )}
            <button
              type="button"
              className="secondary"
              onClick={chat.clear}
              disabled={chat.entries.length === 0}
            >
              Clear
            </button>
          </div>
        </form>
      </section>
      <aside className="chat-side">
        <details open className="params-box">
          <summary>Model and sampling</summary>
          <ParamsForm value={params} onChange={setParams} />
        </details>
        <p className="muted small">
          Images: this server's chat API takes text messages only; vision models are served through the SDK.
        </p>
      </aside>
    </div>
  );
}
