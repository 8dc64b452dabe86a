import type { ReloadResult, SluiceConfig } from "@sluice/config";
import type { Sluice } from "@sluice/sdk";
import type { Telemetry } from "@sluice/telemetry";
import type { RateLimiter } from "./auth/RateLimiter.ts";

/** What a running server can change in place. */
export interface ReloadTargets {
  sluice: Sluice;
  telemetry: Telemetry;
  rateLimiter: RateLimiter | undefined;
  /** Applies a new failed-authentication budget per client address (`perMinute` 0 turns it off). */
  failedAuth?: (next: { perMinute: number; burst: number }) => void;
  /** Cascade tier id by tier index (`cascade.tiers.N`), when the cascade is on. */
  tierIds: readonly string[] | undefined;
}

/** What the server did with one reload: every changed field is in exactly one list. */
export interface AppliedReload {
  /** Fields now in effect with their new values. */
  applied: string[];
  /** Fields that keep their old effect until a restart. */
  restartRequired: string[];
}

/** p95 targets in seconds, as the metric publishes them. */
export function latencyTargetsSeconds(config: SluiceConfig): Record<string, number> {
  return Object.fromEntries(
    Object.entries(config.telemetry.latencyTargetsMs).map(([op, ms]) => [op, ms / 1000]),
  );
}

/**
 * Applies the runtime-safe fields of a reload to the running parts and says
 * which it applied. A field whose part is off (the rate limiter, the
 * cascade) cannot take effect without a restart and is reported so.
 */
export function applyReload(result: ReloadResult, targets: ReloadTargets): AppliedReload {
  const restartRequired = [...result.restartRequired];
  if (result.outcome !== "applied") return { applied: [], restartRequired };
  const { config } = result;
  const applied: string[] = [];
  const later = (field: string) => restartRequired.push(field);
  const limits: Record<string, number> = {};
  const cacheTtlMs: { embeddings?: number; results?: number } = {};
  const thresholds: Record<string, number> = {};
  for (const field of result.applied) {
    const [section, key, sub] = field.split(".");
    if (section === "limits" && key === "rateLimit") {
      if (!targets.rateLimiter) later(field);
      else applied.push(field);
    } else if (section === "limits" && key === "failedAuth") {
      if (!targets.failedAuth) later(field);
      else applied.push(field);
    } else if (section === "limits" && key) {
      limits[key] = config.limits[key as keyof typeof config.limits] as number;
      applied.push(field);
    } else if (section === "cache" && (key === "embeddings" || key === "results")) {
      cacheTtlMs[key] = config.cache[key].ttlMs;
      applied.push(field);
    } else if (section === "cascade" && key === "tiers") {
      const id = targets.tierIds?.[Number(sub)];
      const tier = config.cascade.tiers[Number(sub)];
      if (id === undefined || tier === undefined) later(field);
      else {
        thresholds[id] = tier.confidenceThreshold;
        applied.push(field);
      }
    } else if (field === "telemetry.logLevel") {
      targets.telemetry.logger.level = config.telemetry.logLevel;
      applied.push(field);
    } else if (section === "telemetry" && key === "latencyTargetsMs") {
      targets.telemetry.record.latencyTargets(latencyTargetsSeconds(config));
      applied.push(field);
    } else {
      // A field marked runtime-safe that nothing here applies: say so rather than claim it.
      later(field);
    }
  }
  if (applied.some((f) => f.startsWith("limits.rateLimit.")) && targets.rateLimiter) {
    const rl = config.limits.rateLimit;
    targets.rateLimiter.update({ perMinute: rl.requestsPerMinute, burst: rl.burst });
  }
  if (applied.some((f) => f.startsWith("limits.failedAuth.")) && targets.failedAuth) {
    const fa = config.limits.failedAuth;
    targets.failedAuth({ perMinute: fa.perMinute, burst: fa.burst });
  }
  targets.sluice.reconfigure({
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(Object.keys(cacheTtlMs).length > 0 ? { cacheTtlMs } : {}),
    ...(Object.keys(thresholds).length > 0 ? { cascadeThresholds: thresholds } : {}),
  });
  return { applied, restartRequired };
}
