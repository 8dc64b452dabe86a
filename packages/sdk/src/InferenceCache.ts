import { type Cache, cacheKey, isCacheableGeneration } from "@sluice/cache";
import type { GenerateStats } from "@sluice/core";

/** What a cached generation holds. */
export interface CachedGeneration {
  text: string;
  stats: GenerateStats;
}

/** Counts lookups by cache and result; the composition root forwards them to metrics. */
export type CacheLookupListener = (cache: "embedding" | "result", result: "hit" | "miss") => void;

/**
 * Embedding and result caching over one @sluice/cache instance. Keys carry the
 * model file's sha256, so a replaced file never serves stale entries.
 */
export class InferenceCache {
  readonly #cache: Cache | undefined;
  readonly #onLookup: CacheLookupListener;

  constructor(cache: Cache | undefined, onLookup: CacheLookupListener = () => undefined) {
    this.#cache = cache;
    this.#onLookup = onLookup;
  }

  /** The key of a generation, or `undefined` when it must not be cached (sampling without a fixed seed). */
  generationKey(
    sha256: string | undefined,
    input: unknown,
    params: Record<string, unknown>,
  ): string | undefined {
    if (!this.#cache || !sha256) return undefined;
    if (!isCacheableGeneration({ temperature: params.temperature as number, seed: params.seed as number }))
      return undefined;
    return cacheKey({ modelSha256: sha256, op: "generate", input: JSON.stringify(input), params });
  }

  async getGeneration(key: string | undefined): Promise<CachedGeneration | undefined> {
    if (!this.#cache || key === undefined) return undefined;
    const value = (await this.#cache.get(key)) as unknown as CachedGeneration | undefined;
    this.#onLookup("result", value ? "hit" : "miss");
    return value;
  }

  async setGeneration(key: string | undefined, value: CachedGeneration): Promise<void> {
    // Aborted or truncated-by-abort answers are not the answer to the request.
    if (!this.#cache || key === undefined || value.stats.finishReason === "abort") return;
    await this.#cache.set(key, value as never);
  }

  embeddingKey(sha256: string | undefined, text: string, normalize: boolean): string | undefined {
    if (!this.#cache || !sha256) return undefined;
    return cacheKey({ modelSha256: sha256, op: "embed", input: text, params: { normalize } });
  }

  async getEmbedding(key: string | undefined): Promise<Float32Array | undefined> {
    if (!this.#cache || key === undefined) return undefined;
    const value = await this.#cache.get(key);
    const hit = value instanceof Float32Array ? value : undefined;
    this.#onLookup("embedding", hit ? "hit" : "miss");
    return hit;
  }

  async setEmbedding(key: string | undefined, vector: Float32Array): Promise<void> {
    if (!this.#cache || key === undefined) return;
    await this.#cache.set(key, vector);
  }

  close(): Promise<void> {
    return this.#cache?.close() ?? Promise.resolve();
  }
}
