import { type Cache, cacheKey, isCacheableGeneration } from "@sluice/cache";
import type { GenerateStats, TokenLogprob, ToolCall } from "@sluice/core";

/** What a cached generation holds. */
export interface CachedGeneration {
  text: string;
  stats: GenerateStats;
  toolCalls?: ToolCall[];
  /** Only on answers computed for this caller: requests with logprobs are never cached. */
  logprobs?: TokenLogprob[];
}

/** How a lookup was answered: stored value, another caller's computation, or this caller's own. */
export type CacheOutcome = "hit" | "shared" | "miss";

/** Counts lookups by cache and result; the composition root forwards them to metrics. */
export type CacheLookupListener = (cache: "embedding" | "result", result: CacheOutcome) => void;

/** Switch and lifetime of one kind of entry. */
export interface CacheKindPolicy {
  enabled: boolean;
  /** Lifetime in every tier in milliseconds; `0` keeps entries until evicted. */
  ttlMs: number;
}

/** Default lifetimes: a vector never goes stale for one file; answers are kept briefly. */
export const CACHE_KIND_DEFAULTS = {
  embeddings: { enabled: true, ttlMs: 86_400_000 },
  results: { enabled: true, ttlMs: 600_000 },
} as const satisfies Record<string, CacheKindPolicy>;

/**
 * Embedding and result caching over one @sluice/cache instance. Keys carry the
 * model file's sha256, so a replaced file never serves stale entries.
 * Identical concurrent misses share one computation (the cache's single-flight).
 */
export class InferenceCache {
  readonly #cache: Cache | undefined;
  readonly #onLookup: CacheLookupListener;
  readonly #policy: { embeddings: CacheKindPolicy; results: CacheKindPolicy };

  constructor(
    cache: Cache | undefined,
    onLookup: CacheLookupListener = () => undefined,
    policy: { embeddings?: Partial<CacheKindPolicy>; results?: Partial<CacheKindPolicy> } = {},
  ) {
    this.#cache = cache;
    this.#onLookup = onLookup;
    this.#policy = {
      embeddings: { ...CACHE_KIND_DEFAULTS.embeddings, ...policy.embeddings },
      results: { ...CACHE_KIND_DEFAULTS.results, ...policy.results },
    };
    for (const kind of ["embeddings", "results"] as const) checkTtl(kind, this.#policy[kind].ttlMs);
  }

  /** Switches and lifetimes in effect. */
  get policy(): { embeddings: Readonly<CacheKindPolicy>; results: Readonly<CacheKindPolicy> } {
    return { embeddings: { ...this.#policy.embeddings }, results: { ...this.#policy.results } };
  }

  /** New lifetimes for entries written from now on (a hot reload). @throws RangeError on a bad value. */
  setTtls(ttls: { embeddings?: number; results?: number }): void {
    for (const kind of ["embeddings", "results"] as const) {
      const ttl = ttls[kind];
      if (ttl !== undefined) checkTtl(kind, ttl);
    }
    if (ttls.embeddings !== undefined) this.#policy.embeddings.ttlMs = ttls.embeddings;
    if (ttls.results !== undefined) this.#policy.results.ttlMs = ttls.results;
  }

  /** False when caching is off: callers then need no model identity at all. */
  get enabled(): boolean {
    return this.#cache !== undefined;
  }

  /** True when a generation with these params may be cached (greedy, or sampling with a fixed seed). */
  cacheable(params: Record<string, unknown>): boolean {
    if (!this.#cache || !this.#policy.results.enabled) return false;
    // A cached answer has no per-token log-probabilities to give back.
    if (params.logprobs !== undefined) return false;
    return isCacheableGeneration({ temperature: params.temperature as number, seed: params.seed as number });
  }

  /** The key of a generation, or `undefined` when it must not be cached (sampling without a fixed seed). */
  generationKey(
    sha256: string | undefined,
    input: unknown,
    params: Record<string, unknown>,
  ): string | undefined {
    if (!sha256 || !this.cacheable(params)) return undefined;
    return cacheKey({ modelSha256: sha256, op: "generate", input: JSON.stringify(input), params });
  }

  /** A stored answer; counts the lookup as a hit or a miss. */
  async getGeneration(key: string | undefined): Promise<CachedGeneration | undefined> {
    if (!this.#cache || key === undefined) return undefined;
    const value = await this.#get(key);
    this.#onLookup("result", value ? "hit" : "miss");
    return value;
  }

  async setGeneration(key: string | undefined, value: CachedGeneration): Promise<void> {
    if (!this.#cache || key === undefined || !storable(value)) return;
    await this.#cache.set(key, value as never, { ttlMs: this.#policy.results.ttlMs });
  }

  /**
   * The cached answer, or the answer of a computation that identical
   * concurrent callers share: `compute` runs once per key at a time, and its
   * signal aborts only when every waiting caller has gone.
   */
  async generation(
    key: string,
    compute: (signal: AbortSignal) => Promise<CachedGeneration>,
    signal?: AbortSignal,
  ): Promise<{ value: CachedGeneration; outcome: CacheOutcome }> {
    const cache = this.#cache;
    if (!cache) return { value: await compute(signal ?? new AbortController().signal), outcome: "miss" };
    const stored = await this.#get(key);
    if (stored) {
      this.#onLookup("result", "hit");
      return { value: stored, outcome: "hit" };
    }
    let computed = false;
    const value = (await cache.getOrCompute(
      key,
      async (s) => {
        computed = true;
        return (await compute(s)) as never;
      },
      {
        ...(signal ? { signal } : {}),
        cacheable: (v) => storable(v as unknown as CachedGeneration),
        ttlMs: this.#policy.results.ttlMs,
      },
    )) as unknown as CachedGeneration;
    const outcome = computed ? "miss" : "shared";
    this.#onLookup("result", outcome);
    return { value, outcome };
  }

  embeddingKey(sha256: string | undefined, text: string, normalize: boolean): string | undefined {
    if (!this.#cache || !sha256 || !this.#policy.embeddings.enabled) return undefined;
    return cacheKey({ modelSha256: sha256, op: "embed", input: text, params: { normalize } });
  }

  /**
   * One vector per key: stored ones, ones other callers are computing, and
   * the rest from one call of `compute` with the indices still missing.
   */
  async embeddings(
    keys: ReadonlyArray<string | undefined>,
    compute: (missing: number[]) => Promise<Float32Array[]>,
    signal?: AbortSignal,
  ): Promise<{ vectors: Float32Array[]; cachedCount: number }> {
    const cache = this.#cache;
    const stored = await Promise.all(
      keys.map(async (k) => (cache && k !== undefined ? await cache.get(k) : undefined)),
    );
    const missing = stored.flatMap((v, i) => (v instanceof Float32Array ? [] : [i]));
    let batch: Promise<Float32Array[]> | undefined;
    const run = () => {
      batch ??= compute(missing);
      return batch;
    };
    const vectors = await Promise.all(
      keys.map(async (k, i) => {
        const hit = stored[i];
        if (hit instanceof Float32Array) {
          this.#onLookup("embedding", "hit");
          return hit;
        }
        const j = missing.indexOf(i);
        if (!cache || k === undefined) return (await run())[j] as Float32Array;
        let computed = false;
        const v = await cache.getOrCompute(
          k,
          async () => {
            computed = true;
            return (await run())[j] as Float32Array;
          },
          { ...(signal ? { signal } : {}), ttlMs: this.#policy.embeddings.ttlMs },
        );
        this.#onLookup("embedding", computed ? "miss" : "shared");
        return v as Float32Array;
      }),
    );
    return { vectors, cachedCount: keys.length - missing.length };
  }

  async #get(key: string): Promise<CachedGeneration | undefined> {
    return (await this.#cache?.get(key)) as unknown as CachedGeneration | undefined;
  }

  close(): Promise<void> {
    return this.#cache?.close() ?? Promise.resolve();
  }
}

// Aborted or truncated-by-abort answers are not the answer to the request.
function storable(value: CachedGeneration): boolean {
  return value.stats.finishReason !== "abort";
}

function checkTtl(kind: string, ttl: number): void {
  if (!(Number.isSafeInteger(ttl) && ttl >= 0))
    throw new RangeError(`caching.${kind}.ttlMs must be a non-negative integer, got ${ttl}`);
}
