import { type ErrorCode, errorFromCode, type SluiceError } from "@sluice/core";
import type { DecisionTrace, SkipReason } from "./trace.ts";

/** One entry of `details.attempts` on the error a failed request rejects with. */
export type FailedTier =
  | { tier: string; status: "skipped"; reason: SkipReason; detail: string }
  | {
      tier: string;
      status: "failed";
      code: ErrorCode;
      message: string;
      retryable: boolean;
      latencyMs: number;
    };

const codeOfSkip: Record<SkipReason, ErrorCode> = {
  disabled: "CIRCUIT_OPEN",
  "breaker-open": "CIRCUIT_OPEN",
  "not-ready": "CIRCUIT_OPEN",
  "memory-pressure": "OUT_OF_MEMORY_BUDGET",
  "queue-wait": "QUEUE_FULL",
  deadline: "TIMEOUT",
  "not-in-arm": "CIRCUIT_OPEN",
  "escalation-limit": "INFERENCE_FAILED",
};

/**
 * Folds every tier's failure into the one error the caller receives. Its code
 * is the most telling cause: the caller's own abort, else a non-retryable
 * failure (no other tier would have done better), else the last tier's error,
 * else, when no tier could even be tried, the first skip reason.
 */
export function cascadeFailure(
  trace: DecisionTrace,
  errors: readonly SluiceError[],
  aborted?: SluiceError,
): SluiceError {
  const attempts: FailedTier[] = [];
  for (const decision of trace.considered) {
    if (decision.decision === "skipped" && decision.reason && decision.reason !== "not-in-arm")
      attempts.push({
        tier: decision.tier,
        status: "skipped",
        reason: decision.reason,
        detail: decision.detail ?? "",
      });
    for (const attempt of trace.attempts)
      if (attempt.tier === decision.tier && attempt.error)
        attempts.push({
          tier: attempt.tier,
          status: "failed",
          latencyMs: attempt.latencyMs,
          ...attempt.error,
        });
  }
  const firstSkip = attempts.find((a) => a.status === "skipped");
  const cause = aborted ?? errors.find((e) => !e.retryable) ?? errors.at(-1);
  const code: ErrorCode =
    cause?.code ?? (firstSkip?.status === "skipped" ? codeOfSkip[firstSkip.reason] : "INFERENCE_FAILED");
  const summary = attempts
    .map((a) => (a.status === "skipped" ? `${a.tier} skipped (${a.reason})` : `${a.tier} failed (${a.code})`))
    .join(", ");
  return errorFromCode(code, `no tier could answer: ${summary || "no tier was available"}`, {
    cause,
    details: { attempts, trace },
    retryable: aborted ? false : cause ? cause.retryable : code !== "INFERENCE_FAILED",
  });
}
