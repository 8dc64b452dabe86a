import type { ErrorCode, SluiceError } from "@sluice/core";

// Failures of the tier itself, retryable or not: another tier may well succeed
// (a disposed or corrupt model, a native decode failure, a crashed runner).
const tierFailures: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "DISPOSED",
  "MODEL_NOT_FOUND",
  "MODEL_CORRUPT",
  "MODEL_UNSUPPORTED",
  "INFERENCE_FAILED",
  "OUT_OF_MEMORY_BUDGET",
  "CIRCUIT_OPEN",
  "RUNNER_CRASHED",
  "QUEUE_FULL",
  "DOWNLOAD_FAILED",
  "TIMEOUT",
]);

/**
 * Whether a failure on one tier should move the request to the next. Failures
 * of the request (invalid input, auth, the caller's rate limit, an abort)
 * would fail the same way on every tier, so they end the request at once.
 */
export function fallsBack(error: SluiceError): boolean {
  if (error.code === "RATE_LIMITED") return false;
  return error.retryable || tierFailures.has(error.code);
}
