/**
 * Latency buckets in seconds, from 1 ms (a cache hit) to 60 s (a long
 * generation on a laptop CPU). Roughly 1–2.5–5 per decade so p95 estimates stay
 * within one bucket's error wherever the latency falls.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
]);
