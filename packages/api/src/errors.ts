import { type ErrorCode, httpStatusOf, type SluiceError, toSluiceError } from "@sluice/core";
import type { TRPCError } from "@trpc/server";

type TRPC_ERROR_CODE_KEY = TRPCError["code"];

// The one place where Sluice errors meet tRPC and HTTP. Transports call these
// functions; nothing else decides a status code.

const trpcCodes: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  INVALID_INPUT: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  QUEUE_FULL: "SERVICE_UNAVAILABLE",
  TIMEOUT: "GATEWAY_TIMEOUT",
  ABORTED: "CLIENT_CLOSED_REQUEST",
  MODEL_NOT_FOUND: "NOT_FOUND",
  MODEL_CORRUPT: "UNPROCESSABLE_CONTENT",
  MODEL_UNSUPPORTED: "UNPROCESSABLE_CONTENT",
  DOWNLOAD_FAILED: "BAD_GATEWAY",
  OUT_OF_MEMORY_BUDGET: "SERVICE_UNAVAILABLE",
  CIRCUIT_OPEN: "SERVICE_UNAVAILABLE",
  RUNNER_CRASHED: "SERVICE_UNAVAILABLE",
  INFERENCE_FAILED: "INTERNAL_SERVER_ERROR",
  DISPOSED: "SERVICE_UNAVAILABLE",
  CONFIG_INVALID: "INTERNAL_SERVER_ERROR",
  CONTENT_BLOCKED: "BAD_REQUEST",
};

/** OpenAI's `error.type` for each code, so OpenAI clients classify errors as they expect. */
const openAiTypes: Partial<Record<ErrorCode, string>> = {
  INVALID_INPUT: "invalid_request_error",
  UNAUTHORIZED: "authentication_error",
  FORBIDDEN: "permission_error",
  RATE_LIMITED: "rate_limit_error",
  MODEL_NOT_FOUND: "not_found_error",
  CONTENT_BLOCKED: "content_policy_violation",
};

/** Marks an INVALID_INPUT raised because the request body exceeded the limit (HTTP 413). */
export const BODY_TOO_LARGE = "body_too_large";

/** The tRPC error code of a Sluice error code. */
export function trpcCodeOf(code: ErrorCode): TRPC_ERROR_CODE_KEY {
  return trpcCodes[code];
}

/** The HTTP status of an error; an oversized body is 413 rather than INVALID_INPUT's 400. */
export function httpStatusFor(error: SluiceError): number {
  if (error.code === "INVALID_INPUT" && error.details.reason === BODY_TOO_LARGE) return 413;
  return httpStatusOf[error.code];
}

/** Retry-After of a 429 or 503 whose error gives no estimate: load balancers and clients back off briefly. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * Seconds a client should wait before retrying: the error's own estimate
 * when it has one; every 429 and 503 gets at least the default, so no
 * "try later" answer leaves a client guessing.
 */
export function retryAfterOf(error: SluiceError): number | undefined {
  const seconds = error.details.retryAfterSeconds;
  const ms = error.details.retryAfterMs;
  const value = typeof seconds === "number" ? seconds : typeof ms === "number" ? ms / 1000 : undefined;
  if (value !== undefined && Number.isFinite(value)) return Math.max(1, Math.ceil(value));
  const status = httpStatusFor(error);
  return status === 429 || status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined;
}

/** JSON error body every route returns: OpenAI's `error` envelope carrying the stable code and correlation id. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    type: string;
    param: string | null;
    requestId: string;
    retryable: boolean;
  };
}

export function errorBody(value: unknown, requestId: string): ErrorBody {
  const error = toPublicError(value);
  const field = error.details.field;
  return {
    error: {
      code: error.code,
      message: error.message,
      type:
        openAiTypes[error.code] ?? (httpStatusFor(error) >= 500 ? "server_error" : "invalid_request_error"),
      param: typeof field === "string" ? field : null,
      requestId,
      retryable: error.retryable,
    },
  };
}

/** Any thrown value as a SluiceError; unknown errors become INFERENCE_FAILED. */
export function toPublicError(value: unknown): SluiceError {
  return toSluiceError(value);
}
