import type { LoadResult } from "./runLoad.ts";

/** Counts of a load run, for printing and assertions. */
export interface LoadSummary {
  sent: number;
  succeeded: number;
  failed: number;
  /** Failures by code (`RATE_LIMITED`, `STREAM:RUNNER_CRASHED`, `TRUNCATED`, `NETWORK`…). */
  failedByCode: Record<string, number>;
  /** Requests by the replica that answered (when the load balancer names it). */
  byReplica: Record<string, number>;
  /** Median and 95th percentile of request durations in milliseconds. */
  p50Ms: number;
  p95Ms: number;
}

export function summarize(results: readonly LoadResult[]): LoadSummary {
  const failedByCode: Record<string, number> = {};
  const byReplica: Record<string, number> = {};
  for (const r of results) {
    if (!r.ok) failedByCode[r.code ?? "UNKNOWN"] = (failedByCode[r.code ?? "UNKNOWN"] ?? 0) + 1;
    if (r.replica) byReplica[r.replica] = (byReplica[r.replica] ?? 0) + 1;
  }
  const durations = results.map((r) => r.endedMs - r.startedMs).sort((a, b) => a - b);
  const pick = (q: number) =>
    durations.length === 0
      ? 0
      : (durations[Math.min(durations.length - 1, Math.ceil(q * durations.length) - 1)] ?? 0);
  const succeeded = results.filter((r) => r.ok).length;
  return {
    sent: results.length,
    succeeded,
    failed: results.length - succeeded,
    failedByCode,
    byReplica,
    p50Ms: Math.round(pick(0.5)),
    p95Ms: Math.round(pick(0.95)),
  };
}
