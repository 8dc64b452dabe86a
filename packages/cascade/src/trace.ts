import type { ErrorCode } from "@sluice/core";
import type { AnswerConfidence } from "./scoreAnswer.ts";

/** Why a tier was not tried. */
export type SkipReason =
  | "disabled"
  | "breaker-open"
  | "not-ready"
  | "memory-pressure"
  /** Expected queue wait above the tier's maxQueueWaitMs (overload). */
  | "queue-wait"
  /** Expected queue wait would not leave time before the request's deadline. */
  | "deadline"
  /** The request's experiment arm does not route to this tier. */
  | "not-in-arm"
  /** The escalation budget was spent before this tier. */
  | "escalation-limit";

/** The cascade's decision about one tier. */
export interface TierDecision {
  tier: string;
  decision: "skipped" | "attempted" | "not-needed";
  reason?: SkipReason;
  /** Human-readable detail (e.g. "expected wait 900 ms > limit 500 ms"). */
  detail?: string;
  /** The tier is below the requested one: serving from it is a degradation. */
  smaller?: boolean;
}

/** One call to a tier. */
export interface AttemptRecord {
  tier: string;
  /** accepted: confident enough; low-confidence: below threshold; failed: error. */
  outcome: "accepted" | "low-confidence" | "failed";
  latencyMs: number;
  threshold: number;
  confidence?: AnswerConfidence;
  error?: { code: ErrorCode; message: string; retryable: boolean };
}

/** Everything the cascade decided for one request, in order. */
export interface DecisionTrace {
  /** Experiment arm, when the request took part in one. */
  arm?: string;
  /** Every configured tier and what happened to it. */
  considered: TierDecision[];
  attempts: AttemptRecord[];
  /** Attempts made because an earlier answer was below its tier's threshold. */
  escalations: number;
  /** Tier whose answer was returned; absent when the request failed. */
  finalTier?: string;
  degraded: boolean;
  degradedReason?: string;
}
