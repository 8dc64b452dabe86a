import type { SluiceError } from "@sluice/core";
import type { AttemptRecord, DecisionTrace, SkipReason } from "./trace.ts";

/**
 * Telemetry hooks. The composition root turns them into metrics, logs and
 * spans; the cascade itself imports no telemetry.
 */
export type CascadeEvent =
  | { type: "skip"; tier: string; reason: SkipReason; detail: string }
  | { type: "attempt"; attempt: AttemptRecord; arm?: string }
  | { type: "escalate"; from: string; score: number; threshold: number }
  | { type: "degrade"; tier: string; reason: string }
  | { type: "result"; trace: DecisionTrace; latencyMs: number }
  | { type: "error"; error: SluiceError; trace: DecisionTrace; latencyMs: number };

export type CascadeListener = (event: CascadeEvent) => void;
