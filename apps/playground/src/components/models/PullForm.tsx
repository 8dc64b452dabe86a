"use client";

import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useCallback, useRef, useState } from "react";
import { describeError, type ShownError } from "../../lib/errors.ts";
import { newRequestId, useTRPCClient } from "../../lib/trpc.ts";
import { ErrorNote } from "../ErrorNote.tsx";

interface Progress {
  phase: string;
  transferredBytes: number;
  totalBytes: number;
}

/** Where a pull stands; only `running` animates. */
export type PullState = "idle" | "running" | "done" | "failed" | "cancelled";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** One pull at a time, with the server's progress events; shared by the form and the catalog's buttons. */
export function usePull() {
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [state, setState] = useState<PullState>("idle");
  const cancel = useRef<(() => void) | null>(null);

  const start = useCallback(
    (id: string) => {
      cancel.current?.();
      setTarget(id);
      setError(null);
      setProgress({ phase: "resolve", transferredBytes: 0, totalBytes: 0 });
      setState("running");
      const requestId = newRequestId();
      // Once failed, done or cancelled, later callbacks change nothing.
      let over = false;
      const end = (next: PullState, err?: ShownError) => {
        if (over) return;
        over = true;
        cancel.current = null;
        sub.unsubscribe();
        setState(next);
        if (err) setError(err);
        void queryClient.invalidateQueries();
      };
      const sub = client.models.pull.subscribe(
        { id },
        {
          context: { requestId },
          onData: (p) => {
            if (!over) setProgress(p);
          },
          onConnectionStateChange: (s) => {
            // A server error would make tRPC reconnect; a failed pull is over.
            if (s.error?.data) end("failed", describeError(s.error, requestId));
          },
          onError: (err) => end("failed", describeError(err, requestId)),
          onComplete: () => end("done"),
        },
      );
      cancel.current = () => end("cancelled");
    },
    [client, queryClient],
  );

  return { target, progress, error, state, start, cancel: () => cancel.current?.() };
}

export type Pull = ReturnType<typeof usePull>;

/** The bar and figures of a pull; the bar animates only while the pull runs. */
export function PullProgress({ pull }: { pull: Pull }) {
  const { progress, state } = pull;
  if (!progress || state === "idle") return null;
  const fraction = progress.totalBytes > 0 ? progress.transferredBytes / progress.totalBytes : null;
  // An indeterminate <progress> animates for ever; after the end it gets a value.
  const value = state === "running" ? (fraction ?? undefined) : state === "done" ? 1 : (fraction ?? 0);
  return (
    <div className="pull-progress" role="status" data-testid="pull-progress" data-state={state}>
      <progress className="progress" max={1} value={value} aria-label="Pull progress" />{" "}
      <span className="small">
        {state === "running" || state === "done" ? progress.phase : state}
        {pull.target ? ` ${pull.target}` : ""}
        {progress.totalBytes > 0 ? ` ${mib(progress.transferredBytes)} of ${mib(progress.totalBytes)}` : ""}
      </span>
    </div>
  );
}

/** Fetches a catalog model or an `hf:`/https URI into the store (admin). */
export function PullForm({ pull }: { pull: Pull }) {
  const [id, setId] = useState("");
  const running = pull.state === "running";

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!id.trim() || running) return;
    pull.start(id.trim());
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Pull a model">
      <label>
        Model id or URI to pull
        <input
          value={id}
          onChange={(e) => setId(e.target.value)}
          placeholder="lfm2-350m-q8_0 or hf:owner/repo/file.gguf"
          spellCheck={false}
        />
      </label>
      {running ? (
        <button type="button" className="danger" onClick={pull.cancel}>
          Cancel
        </button>
      ) : (
        <button type="submit" disabled={!id.trim()}>
          Pull
        </button>
      )}
      <div style={{ flexBasis: "100%" }}>
        <PullProgress pull={pull} />
      </div>
      {pull.error ? (
        <div style={{ flexBasis: "100%" }}>
          <ErrorNote error={pull.error} title="Pull failed" />
        </div>
      ) : null}
    </form>
  );
}
