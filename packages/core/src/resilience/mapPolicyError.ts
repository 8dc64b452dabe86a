import {
  AbortedError,
  CircuitOpenError,
  type ErrorCode,
  isSluiceError,
  type SluiceError,
  TimeoutError,
  toSluiceError,
} from "../errors/index.ts";

/** Codes that say the model (not the caller) failed; only these count against a breaker. */
export const BREAKER_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "INFERENCE_FAILED",
  "RUNNER_CRASHED",
  "MODEL_CORRUPT",
  "MODEL_UNSUPPORTED",
  "MODEL_NOT_FOUND",
  "DOWNLOAD_FAILED",
]);

// Retryable for a client later, but retrying inside the same request is pointless:
// an open breaker, a full queue or a passed deadline will not change within it.
const NOT_RETRIED_HERE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "CIRCUIT_OPEN",
  "QUEUE_FULL",
  "TIMEOUT",
  "RATE_LIMITED",
  "ABORTED",
]);

// cockatiel 3.2.1's isIsolatedCircuitError and isTaskCancelledError test the
// bulkhead marker by mistake, so check each error's own marker property.
function hasMarker(err: unknown, marker: string): boolean {
  return err instanceof Error && marker in err;
}

/** True when an error should count as a failure of the model. Foreign errors count. */
export function isBreakerFailure(err: unknown): boolean {
  return !isSluiceError(err) || BREAKER_FAILURE_CODES.has(err.code);
}

/** True when a policy may retry the operation that threw this error. */
export function isRetriedError(err: unknown): boolean {
  return isSluiceError(err) && err.retryable && !NOT_RETRIED_HERE.has(err.code);
}

/**
 * Turns cockatiel's errors into SluiceErrors: an open (or isolated) circuit
 * becomes CIRCUIT_OPEN, a cancelled task TIMEOUT when its deadline passed
 * and ABORTED when the caller went away. Anything else foreign becomes
 * INFERENCE_FAILED.
 */
export function mapPolicyError(
  err: unknown,
  context: { modelId?: string; signal?: AbortSignal; retryAfterMs?: number } = {},
): SluiceError {
  if (isSluiceError(err)) return err;
  const subject = context.modelId ? `model ${context.modelId}` : "the model";
  if (hasMarker(err, "isBrokenCircuitError") || hasMarker(err, "isIsolatedCircuitError"))
    return new CircuitOpenError(`the circuit of ${subject} is open`, {
      cause: err,
      details: {
        ...(context.modelId ? { model: context.modelId } : {}),
        ...(context.retryAfterMs !== undefined ? { retryAfterMs: context.retryAfterMs } : {}),
      },
    });
  if (hasMarker(err, "isTaskCancelledError")) {
    const reason: unknown = context.signal?.reason;
    if (context.signal?.aborted) {
      if (isSluiceError(reason)) return reason;
      return new AbortedError(`the request to ${subject} was aborted`, { cause: err });
    }
    return new TimeoutError(`the request to ${subject} timed out`, { cause: err });
  }
  return toSluiceError(err);
}
