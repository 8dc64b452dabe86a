import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** What every log line and error response of one request carries. */
export interface RequestContext {
  /** Correlation id: the caller's `x-request-id` when well-formed, otherwise generated. */
  readonly requestId: string;
  /** Id of the API key's principal, once auth has run. */
  principal?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * A well-formed request id is 1–128 characters of `A–Z a–z 0–9 . _ -`. Anything
 * else (spaces, quotes, newlines, megabytes) could forge log lines or bloat
 * them, so it is replaced rather than sanitised.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function isWellFormedRequestId(value: unknown): value is string {
  return typeof value === "string" && REQUEST_ID_PATTERN.test(value);
}

/**
 * The correlation id for an incoming request: the `x-request-id` header value
 * when well-formed (first value if repeated), else a new UUID.
 */
export function requestIdFrom(header: string | readonly string[] | undefined | null): string {
  const value = Array.isArray(header) ? header[0] : header;
  return isWellFormedRequestId(value) ? value : randomUUID();
}

/** Runs `fn` with `context` as the current request; logs inside it carry its id. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request, or `undefined` outside one. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
