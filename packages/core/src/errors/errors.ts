import {
  type ErrorCode,
  isErrorCode,
  type SerializedSluiceError,
  SluiceError,
  type SluiceErrorOptions,
} from "./SluiceError.ts";

// One subclass per failure a caller can act on. Constructors take the message
// first so call sites read like prose: new TimeoutError("deadline of 2 s passed").

export class InvalidInputError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("INVALID_INPUT", message, options);
    this.name = "InvalidInputError";
  }
}

export class UnauthorizedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("UNAUTHORIZED", message, options);
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("FORBIDDEN", message, options);
    this.name = "ForbiddenError";
  }
}

export class RateLimitedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("RATE_LIMITED", message, options);
    this.name = "RateLimitedError";
  }
}

export class QueueFullError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("QUEUE_FULL", message, options);
    this.name = "QueueFullError";
  }
}

export class TimeoutError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("TIMEOUT", message, options);
    this.name = "TimeoutError";
  }
}

export class AbortedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("ABORTED", message, options);
    this.name = "AbortedError";
  }
}

export class ModelNotFoundError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("MODEL_NOT_FOUND", message, options);
    this.name = "ModelNotFoundError";
  }
}

export class ModelCorruptError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("MODEL_CORRUPT", message, options);
    this.name = "ModelCorruptError";
  }
}

export class ModelUnsupportedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("MODEL_UNSUPPORTED", message, options);
    this.name = "ModelUnsupportedError";
  }
}

export class DownloadFailedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("DOWNLOAD_FAILED", message, options);
    this.name = "DownloadFailedError";
  }
}

export class OutOfMemoryBudgetError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("OUT_OF_MEMORY_BUDGET", message, options);
    this.name = "OutOfMemoryBudgetError";
  }
}

export class CircuitOpenError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("CIRCUIT_OPEN", message, options);
    this.name = "CircuitOpenError";
  }
}

export class RunnerCrashedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("RUNNER_CRASHED", message, options);
    this.name = "RunnerCrashedError";
  }
}

export class InferenceFailedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("INFERENCE_FAILED", message, options);
    this.name = "InferenceFailedError";
  }
}

export class DisposedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("DISPOSED", message, options);
    this.name = "DisposedError";
  }
}

export class ConfigInvalidError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigInvalidError";
  }
}

/** A content policy blocked the input or output; `details.reason` and `details.policy` say why. */
export class ContentBlockedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super("CONTENT_BLOCKED", message, options);
    this.name = "ContentBlockedError";
  }
}

const classes: Record<ErrorCode, new (message: string, options?: SluiceErrorOptions) => SluiceError> = {
  INVALID_INPUT: InvalidInputError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: ForbiddenError,
  RATE_LIMITED: RateLimitedError,
  QUEUE_FULL: QueueFullError,
  TIMEOUT: TimeoutError,
  ABORTED: AbortedError,
  MODEL_NOT_FOUND: ModelNotFoundError,
  MODEL_CORRUPT: ModelCorruptError,
  MODEL_UNSUPPORTED: ModelUnsupportedError,
  DOWNLOAD_FAILED: DownloadFailedError,
  OUT_OF_MEMORY_BUDGET: OutOfMemoryBudgetError,
  CIRCUIT_OPEN: CircuitOpenError,
  RUNNER_CRASHED: RunnerCrashedError,
  INFERENCE_FAILED: InferenceFailedError,
  DISPOSED: DisposedError,
  CONFIG_INVALID: ConfigInvalidError,
  CONTENT_BLOCKED: ContentBlockedError,
};

/** Builds the typed error for a code (e.g. one revived from IPC or JSON). */
export function errorFromCode(code: ErrorCode, message: string, options?: SluiceErrorOptions): SluiceError {
  return new classes[code](message, options);
}

/** Revives a serialised error; anything unrecognised becomes INFERENCE_FAILED. */
export function reviveError(value: unknown): SluiceError {
  if (typeof value === "object" && value !== null) {
    const v = value as Partial<SerializedSluiceError>;
    if (isErrorCode(v.code)) {
      return errorFromCode(v.code, String(v.message ?? v.code), {
        details: v.details ?? {},
        retryable: v.retryable,
      });
    }
  }
  return new InferenceFailedError(value instanceof Error ? value.message : String(value), { cause: value });
}

/** Wraps any thrown value as a SluiceError, keeping SluiceErrors as they are. */
export function toSluiceError(value: unknown, fallback: ErrorCode = "INFERENCE_FAILED"): SluiceError {
  if (
    value instanceof SluiceError ||
    (typeof value === "object" && value !== null && Symbol.for("sluice.error") in value)
  ) {
    return value as SluiceError;
  }
  const message = value instanceof Error ? value.message : String(value);
  return errorFromCode(fallback, message, { cause: value });
}
