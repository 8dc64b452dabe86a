import { bucketDelta, buckets, quantile, type Sample, sum } from "../../lib/prometheus.ts";

/** What one metrics snapshot contributes to the charts. */
export interface Point {
  at: number;
  requests: number;
  generatedTokens: number;
  latency: Map<number, number>;
  queueDepth: number;
  cacheHits: number;
  cacheLookups: number;
  restarts: number;
}

export function toPoint(samples: Sample[], at: number): Point {
  return {
    at,
    requests: sum(samples, "sluice_requests_total"),
    generatedTokens: sum(samples, "sluice_tokens_total", (l) => l.kind === "generated"),
    latency: buckets(samples, "sluice_request_duration_seconds"),
    queueDepth: sum(samples, "sluice_queue_depth"),
    cacheHits: sum(
      samples,
      "sluice_cache_requests_total",
      (l) => l.result === "hit" || l.result === "shared",
    ),
    cacheLookups: sum(samples, "sluice_cache_requests_total"),
    restarts: sum(samples, "sluice_runner_restarts_total"),
  };
}

/** Snapshots the latency percentiles look back over (the window is `WINDOW × interval`). */
export const WINDOW = 15;

export interface Derived {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  requestsPerSecond: number | null;
  tokensPerSecond: number | null;
  queueDepth: number;
  cacheHitRatio: number | null;
  restarts: number;
}

/** Rates and windowed percentiles at point `i` of the history. */
export function derive(history: Point[], i: number): Derived {
  const now = history[i] as Point;
  const prev = history[i - 1];
  const base = history[Math.max(0, i - WINDOW)];
  const window = bucketDelta(now.latency, base === now ? undefined : base?.latency);
  const seconds = prev ? (now.at - prev.at) / 1000 : 0;
  return {
    p50: quantile(0.5, window),
    p95: quantile(0.95, window),
    p99: quantile(0.99, window),
    requestsPerSecond: prev && seconds > 0 ? Math.max(0, now.requests - prev.requests) / seconds : null,
    tokensPerSecond:
      prev && seconds > 0 ? Math.max(0, now.generatedTokens - prev.generatedTokens) / seconds : null,
    queueDepth: now.queueDepth,
    cacheHitRatio: now.cacheLookups > 0 ? now.cacheHits / now.cacheLookups : null,
    restarts: now.restarts,
  };
}
