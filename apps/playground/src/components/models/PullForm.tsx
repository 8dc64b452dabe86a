"use client";

import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { describeError, type ShownError } from "../../lib/errors.ts";
import { newRequestId, useTRPCClient } from "../../lib/trpc.ts";
import { ErrorNote } from "../ErrorNote.tsx";

interface Progress {
  phase: string;
  transferredBytes: number;
  totalBytes: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Fetches a catalog model into the store, with the server's progress events as a bar (admin). */
export function PullForm() {
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [id, setId] = useState("");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [running, setRunning] = useState(false);
  const cancel = useRef<(() => void) | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!id.trim() || running) return;
    setError(null);
    setProgress({ phase: "resolve", transferredBytes: 0, totalBytes: 0 });
    setRunning(true);
    const requestId = newRequestId();
    const sub = client.models.pull.subscribe(
      { id: id.trim() },
      {
        context: { requestId },
        onData: (p) => setProgress(p),
        onConnectionStateChange: (state) => {
          // A server error would make tRPC reconnect; a failed pull is over.
          if (state.error?.data) {
            sub.unsubscribe();
            setError(describeError(state.error, requestId));
            setRunning(false);
          }
        },
        onError: (err) => {
          setError(describeError(err, requestId));
          setRunning(false);
        },
        onComplete: () => {
          setRunning(false);
          void queryClient.invalidateQueries();
        },
      },
    );
    cancel.current = () => {
      sub.unsubscribe();
      setRunning(false);
    };
  }

  const fraction =
    progress && progress.totalBytes > 0 ? progress.transferredBytes / progress.totalBytes : null;
  return (
    <form className="admin-form" onSubmit={submit} aria-label="Pull a model">
      <label>
        Model id or URI to pull
        <input
          value={id}
          onChange={(e) => setId(e.target.value)}
          placeholder="lfm2-350m-q8"
          spellCheck={false}
        />
      </label>
      {running ? (
        <button type="button" className="danger" onClick={() => cancel.current?.()}>
          Cancel
        </button>
      ) : (
        <button type="submit" disabled={!id.trim()}>
          Pull
        </button>
      )}
      {progress ? (
        <div style={{ flexBasis: "100%" }} role="status" data-testid="pull-progress">
          <progress className="progress" max={1} value={fraction ?? undefined} aria-label="Pull progress" />{" "}
          <span className="small">
            {progress.phase}
            {progress.totalBytes > 0
              ? ` ${mib(progress.transferredBytes)} of ${mib(progress.totalBytes)}`
              : ""}
          </span>
        </div>
      ) : null}
      {error ? (
        <div style={{ flexBasis: "100%" }}>
          <ErrorNote error={error} title="Pull failed" />
        </div>
      ) : null}
    </form>
  );
}
