/**
 * Stable error codes. They are part of the public contract: clients switch on
 * them, dashboards count them, runbooks name them. Never rename one.
 */
export const ErrorCode = {
  INVALID_INPUT: "INVALID_INPUT",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  RATE_LIMITED: "RATE_LIMITED",
  QUEUE_FULL: "QUEUE_FULL",
  TIMEOUT: "TIMEOUT",
  ABORTED: "ABORTED",
  MODEL_NOT_FOUND: "MODEL_NOT_FOUND",
  MODEL_CORRUPT: "MODEL_CORRUPT",
  MODEL_UNSUPPORTED: "MODEL_UNSUPPORTED",
  DOWNLOAD_FAILED: "DOWNLOAD_FAILED",
  OUT_OF_MEMORY_BUDGET: "OUT_OF_MEMORY_BUDGET",
  CIRCUIT_OPEN: "CIRCUIT_OPEN",
  RUNNER_CRASHED: "RUNNER_CRASHED",
  INFERENCE_FAILED: "INFERENCE_FAILED",
  DISPOSED: "DISPOSED",
  CONFIG_INVALID: "CONFIG_INVALID",
  CONTENT_BLOCKED: "CONTENT_BLOCKED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each code; the one place where errors meet HTTP. */
export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  TIMEOUT: 504,
  ABORTED: 499,
  MODEL_NOT_FOUND: 404,
  MODEL_CORRUPT: 422,
  MODEL_UNSUPPORTED: 422,
  DOWNLOAD_FAILED: 502,
  OUT_OF_MEMORY_BUDGET: 503,
  CIRCUIT_OPEN: 503,
  RUNNER_CRASHED: 503,
  INFERENCE_FAILED: 500,
  DISPOSED: 503,
  CONFIG_INVALID: 500,
  // As OpenAI answers a content policy refusal: a client error, not retryable unchanged.
  CONTENT_BLOCKED: 400,
};

const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "QUEUE_FULL",
  "TIMEOUT",
  "DOWNLOAD_FAILED",
  "OUT_OF_MEMORY_BUDGET",
  "CIRCUIT_OPEN",
  "RUNNER_CRASHED",
  "RATE_LIMITED",
]);

/** Longest error message; longer ones are cut (messages quote caller input). */
export const MAX_MESSAGE_CHARS = 1000;

// A global symbol rather than instanceof, so the guard holds across two copies
// of @sluice/core in one process (and across the IPC boundary after revival).
const marker = Symbol.for("sluice.error");

export interface SluiceErrorOptions {
  cause?: unknown;
  /** Machine-readable context (field paths, estimates, retry-after). Must be JSON-serialisable. */
  details?: Record<string, unknown>;
  /** Overrides the code's default. */
  retryable?: boolean;
}

/** Root of every error a Sluice caller is expected to handle. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly details: Record<string, unknown>;
  readonly [marker] = true;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    // A bound in one place: whatever a message quotes, it never carries hostile input whole.
    super(
      message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…(cut)` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "SluiceError";
    this.code = code;
    this.retryable = options.retryable ?? retryableCodes.has(code);
    this.httpStatus = httpStatusOf[code];
    this.details = options.details ?? {};
  }

  /** Plain-object form for logs, IPC and HTTP bodies. */
  toJSON(): SerializedSluiceError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details,
    };
  }
}

export interface SerializedSluiceError {
  name: string;
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details: Record<string, unknown>;
}

export function isSluiceError(value: unknown): value is SluiceError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ErrorCode, value);
}
