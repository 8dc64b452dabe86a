import { type ConfigPath, isPlainObject } from "./paths.ts";

/**
 * Fields a running server applies on a hot reload (apps/server's reload
 * handler applies each of them; a test reloads each one and observes it). A
 * pattern covers the field and everything under it; `*` matches one list
 * index or key. Every other field is reported as needing a restart.
 */
export const RUNTIME_SAFE_FIELDS: readonly string[] = [
  "limits.maxInputChars",
  "limits.maxTokens",
  "limits.defaultMaxTokens",
  "limits.maxEmbeddingInputs",
  "limits.rateLimit.requestsPerMinute",
  "limits.rateLimit.burst",
  "limits.failedAuth.perMinute",
  "limits.failedAuth.burst",
  "cascade.tiers.*.confidenceThreshold",
  "telemetry.logLevel",
  "telemetry.latencyTargetsMs",
  "cache.embeddings.ttlMs",
  "cache.results.ttlMs",
];

const patterns = RUNTIME_SAFE_FIELDS.map((p) => p.split("."));

export function isRuntimeSafe(path: ConfigPath): boolean {
  return patterns.some(
    (pattern) =>
      pattern.length <= path.length && pattern.every((seg, i) => seg === "*" || seg === String(path[i])),
  );
}

/**
 * Leaf paths whose values differ. Objects are compared key by key, lists of
 * equal length element by element; a list that changed length is one change.
 */
export function changedPaths(before: unknown, after: unknown, path: (string | number)[] = []): ConfigPath[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => changedPaths(before[k], after[k], [...path, k]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => changedPaths(b, after[i], [...path, i]));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}
