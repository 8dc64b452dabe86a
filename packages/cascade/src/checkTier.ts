import type { TierConfig } from "./config.ts";
import type { TierHealth } from "./TierBackend.ts";
import type { SkipReason } from "./trace.ts";

/** Why a tier cannot take a request now. */
export interface SkipVerdict {
  reason: SkipReason;
  detail: string;
}

/**
 * Decides from a health snapshot whether a tier can take a request that has
 * `remainingMs` left. A half-open breaker is allowed through: its trial
 * request is how the tier gets back into rotation.
 */
export function checkTier(
  tier: TierConfig,
  health: TierHealth,
  remainingMs: number,
): SkipVerdict | undefined {
  if (!tier.enabled) return { reason: "disabled", detail: `tier ${tier.id} is disabled` };
  if (health.breaker === "open")
    return { reason: "breaker-open", detail: `tier ${tier.id}: circuit breaker open` };
  if (!health.ready) return { reason: "not-ready", detail: `tier ${tier.id}: runner not ready` };
  if (health.memoryPressure)
    return { reason: "memory-pressure", detail: `tier ${tier.id}: host under memory pressure` };
  const wait = Math.round(health.expectedQueueWaitMs);
  if (tier.maxQueueWaitMs !== undefined && health.expectedQueueWaitMs > tier.maxQueueWaitMs)
    return {
      reason: "queue-wait",
      detail: `tier ${tier.id}: expected queue wait ${wait} ms > limit ${tier.maxQueueWaitMs} ms`,
    };
  if (health.expectedQueueWaitMs >= remainingMs)
    return {
      reason: "deadline",
      detail: `tier ${tier.id}: expected queue wait ${wait} ms >= ${Math.round(remainingMs)} ms left before the deadline`,
    };
  return undefined;
}
