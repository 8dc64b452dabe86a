"use client";

import type { TRPCClientError } from "@trpc/client";
import { type Dispatch, type SetStateAction, useCallback, useRef, useState } from "react";
import { describeError, type ShownError } from "../../lib/errors.ts";
import { newRequestId, useTRPCClient } from "../../lib/trpc.ts";
import type { AnswerMeta, ChatEntry, ChatParams } from "./types.ts";

type StreamInput = Parameters<ReturnType<typeof useTRPCClient>["chat"]["stream"]["subscribe"]>[0];

/** Builds the request from the form; a bad JSON schema is reported before anything is sent. */
export function buildInput(params: ChatParams, history: ChatEntry[]): StreamInput {
  const messages = history
    .filter((m) => m.content.length > 0 && m.status !== "error")
    .map((m) => ({
      role: m.role,
      content: m.image
        ? [
            { type: "text" as const, text: m.content },
            { type: "image" as const, dataUrl: m.image },
          ]
        : m.content,
    }));
  if (params.system.trim()) messages.unshift({ role: "system", content: params.system.trim() });
  const input: StreamInput = {
    messages,
    temperature: params.temperature,
    maxTokens: params.maxTokens,
    topP: params.topP,
    confidence: params.confidence,
  };
  if (params.model.trim()) input.model = params.model.trim();
  if (params.seed.trim()) input.seed = Number(params.seed);
  if (params.jsonSchema.trim()) input.jsonSchema = JSON.parse(params.jsonSchema) as Record<string, unknown>;
  if (params.tools.trim()) {
    input.tools = JSON.parse(params.tools) as NonNullable<StreamInput["tools"]>;
    input.toolChoice = "required";
  }
  return input;
}

function emptyMeta(requestId: string): AnswerMeta {
  return {
    requestId,
    model: null,
    firstTokenMs: null,
    serverFirstTokenMs: null,
    tokensPerSecond: null,
    generatedTokens: null,
    confidence: null,
    cached: false,
    finishReason: null,
    degraded: false,
  };
}

/**
 * Streams one answer at a time into the conversation's entries (owned by the
 * caller, so they can be kept in the browser); `stop()` cancels it on the
 * server at once and keeps the figures measured so far.
 */
export function useChatStream(entries: ChatEntry[], setEntries: Dispatch<SetStateAction<ChatEntry[]>>) {
  const client = useTRPCClient();
  const [error, setError] = useState<ShownError | null>(null);
  const [streaming, setStreaming] = useState(false);
  const stopRef = useRef<(() => void) | null>(null);

  const update = useCallback(
    (id: string, change: (e: ChatEntry) => ChatEntry) => {
      setEntries((all) => all.map((e) => (e.id === id ? change(e) : e)));
    },
    [setEntries],
  );

  /** Streams an answer to `history` (which ends with the user's message). */
  const answer = useCallback(
    (history: ChatEntry[], params: ChatParams) => {
      setError(null);
      const requestId = newRequestId();
      let input: StreamInput;
      try {
        input = buildInput(params, history);
      } catch (e) {
        setError({
          code: "INVALID_INPUT",
          message: `JSON schema: ${(e as Error).message}`,
          requestId: null,
          httpStatus: null,
          unreachable: false,
        });
        return;
      }
      const reply: ChatEntry = {
        id: requestId,
        role: "assistant",
        content: "",
        status: "streaming",
        pieces: 0,
        meta: emptyMeta(requestId),
      };
      setEntries([...history, reply]);
      setStreaming(true);
      const started = performance.now();
      let firstTokenAt: number | null = null;
      let pieces = 0;
      // A retryable error reaches the page only as a connection state; keep it for the report.
      let stateError: TRPCClientError<never> | null = null;
      const finish = () => {
        stopRef.current = null;
        setStreaming(false);
      };
      const sub = client.chat.stream.subscribe(input, {
        context: { requestId },
        onData(event) {
          if (event.type === "token") {
            firstTokenAt ??= performance.now();
            pieces++;
            const ttft = firstTokenAt - started;
            update(requestId, (e) => ({
              ...e,
              content: e.content + event.text,
              pieces: e.pieces + 1,
              meta: { ...(e.meta ?? emptyMeta(requestId)), model: event.model, firstTokenMs: ttft },
            }));
            return;
          }
          const s = event.stats;
          const tps = s.decodeMs > 0 ? (Math.max(0, s.generatedTokens - 1) * 1000) / s.decodeMs : null;
          update(requestId, (e) => ({
            ...e,
            content: event.text,
            status: "done",
            ...(event.toolCalls ? { toolCalls: event.toolCalls } : {}),
            meta: {
              requestId,
              // With model "auto" the cascade says which tier answered and how sure it was.
              model: event.cascade?.tier ?? event.model,
              firstTokenMs: firstTokenAt === null ? performance.now() - started : firstTokenAt - started,
              serverFirstTokenMs: s.timeToFirstTokenMs,
              tokensPerSecond: tps,
              generatedTokens: s.generatedTokens,
              confidence: event.cascade?.confidence ?? s.confidence?.score ?? null,
              cached: event.cached === true,
              finishReason: s.finishReason,
              degraded: event.cascade?.degraded === true,
            },
          }));
          sub.unsubscribe();
          finish();
        },
        onConnectionStateChange(state) {
          if (!state.error) return;
          stateError = state.error as TRPCClientError<never>;
          // tRPC would retry a "retryable" server error by reconnecting; an answer
          // that failed on the server is over, so it is reported at once.
          if (stateError.data) {
            sub.unsubscribe();
            update(requestId, (e) => ({ ...e, status: "error" }));
            setError(describeError(stateError, requestId));
            finish();
          }
        },
        onError(err) {
          const shown = describeError(err.data ? err : (stateError ?? err), requestId);
          update(requestId, (e) => ({ ...e, status: "error" }));
          setError(shown);
          finish();
        },
        onComplete() {
          update(requestId, (e) => (e.status === "streaming" ? { ...e, status: "done" } : e));
          finish();
        },
      });
      stopRef.current = () => {
        // The server's figures never come after a stop, so the page keeps its
        // own: one token per streamed piece, decoded since the first one.
        const stoppedAt = performance.now();
        const seconds = firstTokenAt === null ? 0 : (stoppedAt - firstTokenAt) / 1000;
        const streamed = pieces;
        // Marked first: unsubscribing completes the observer, which would call it done.
        update(requestId, (e) =>
          e.status === "streaming"
            ? {
                ...e,
                status: "stopped",
                meta: {
                  ...(e.meta ?? emptyMeta(requestId)),
                  generatedTokens: streamed,
                  tokensPerSecond: seconds > 0 && streamed > 1 ? (streamed - 1) / seconds : null,
                  finishReason: "stopped",
                },
              }
            : e,
        );
        sub.unsubscribe();
        finish();
      };
    },
    [client, setEntries, update],
  );

  const send = useCallback(
    (text: string, params: ChatParams, image?: string) => {
      const user: ChatEntry = { id: newRequestId(), role: "user", content: text, status: "done", pieces: 0 };
      if (image) user.image = image;
      answer([...entries, user], params);
    },
    [answer, entries],
  );

  /** Asks again for the last answer: everything after the last user message is replaced. */
  const regenerate = useCallback(
    (params: ChatParams) => {
      const lastUser = entries.findLastIndex((e) => e.role === "user");
      if (lastUser < 0) return;
      answer(entries.slice(0, lastUser + 1), params);
    },
    [answer, entries],
  );

  /** Replaces a user message's text and answers it again; later messages are dropped. */
  const editAndResend = useCallback(
    (id: string, text: string, params: ChatParams) => {
      const at = entries.findIndex((e) => e.id === id && e.role === "user");
      if (at < 0) return;
      const edited = { ...(entries[at] as ChatEntry), content: text };
      answer([...entries.slice(0, at), edited], params);
    },
    [answer, entries],
  );

  const stop = useCallback(() => stopRef.current?.(), []);
  const clear = useCallback(() => {
    stopRef.current?.();
    setEntries([]);
    setError(null);
  }, [setEntries]);

  return { entries, error, streaming, send, regenerate, editAndResend, stop, clear };
}
