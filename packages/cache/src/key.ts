import { createHash } from "node:crypto";

/** What identifies one cached output. */
export interface CacheKeyParts {
  /** sha256 of the model file, 64 hex digits. A changed file changes every key, so stale entries are never served. */
  modelSha256: string;
  /** Operation, e.g. `"embed"` or `"generate"`. */
  op: string;
  /** The input text; normalised to Unicode NFC so equivalent spellings share an entry. */
  input: string;
  /** Every parameter that changes the output (pooling, temperature, seed, max tokens…). Key order does not matter. */
  params?: Record<string, unknown>;
}

// Bumped when the key derivation changes, so old entries are simply never read again.
const KEY_VERSION = "sluice-cache-key/1";
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Derives a cache key (64 hex digits) from the model digest, the operation,
 * the normalised input and every output-changing parameter.
 *
 * @throws RangeError when the digest is not 64 hex digits, the op is empty, or a
 * parameter is not plain JSON data (functions, bigints, non-finite numbers).
 */
export function cacheKey(parts: CacheKeyParts): string {
  if (!SHA256_HEX.test(parts.modelSha256)) {
    throw new RangeError(`modelSha256 must be 64 hex digits, got ${JSON.stringify(parts.modelSha256)}`);
  }
  if (parts.op.length === 0) throw new RangeError("op must not be empty");
  const canonical = JSON.stringify([
    KEY_VERSION,
    parts.modelSha256.toLowerCase(),
    parts.op,
    parts.input.normalize("NFC"),
    canonicalize(parts.params ?? {}, "params"),
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** Sorts object keys at every depth and rejects values JSON would silently change. */
function canonicalize(value: unknown, path: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    // JSON turns NaN and Infinity into null, which would make them collide with null.
    if (!Number.isFinite(value)) throw new RangeError(`${path} must be a finite number, got ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => canonicalize(item, `${path}[${i}]`));
  if (typeof value === "object") {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      // An absent parameter and an undefined one mean the same request.
      if (item === undefined) continue;
      out.push([key, canonicalize(item, `${path}.${key}`)]);
    }
    return out;
  }
  throw new RangeError(`${path} must be JSON data, got ${typeof value}`);
}
