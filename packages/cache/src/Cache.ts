import type { CacheEventMap, CacheEvents, CacheListener, TierName } from "./CacheEvents.ts";
import { type CacheValue, decodeValue, encodeValue } from "./codec.ts";
import type { MemoryTier, MemoryTierStats } from "./MemoryTier.ts";
import type { PersistentTier, PersistentTierStats } from "./PersistentTier.ts";
import type { RedisTier, RedisTierStats } from "./RedisTier.ts";
import { SingleFlight, type SingleFlightStats } from "./SingleFlight.ts";

/** Options of one write. */
export interface CacheSetOptions {
  /** Lifetime of this entry in every tier, in milliseconds. Defaults to each tier's `ttlMs`. */
  ttlMs?: number;
}

/** Options of {@link Cache.getOrCompute}. */
export interface GetOrComputeOptions<V extends CacheValue> extends CacheSetOptions {
  /** Aborts this caller's wait; the computation goes on while other callers still wait for it. */
  signal?: AbortSignal;
  /** Whether a computed value may be stored. Defaults to storing every value. */
  cacheable?: (value: V) => boolean;
}

/** Counters of every configured tier. */
export interface CacheStats {
  memory?: MemoryTierStats;
  persistent?: PersistentTierStats;
  redis?: RedisTierStats;
  singleFlight: SingleFlightStats;
}

/** The tiers a cache is made of; built by {@link createCache}. */
export interface CacheParts {
  events: CacheEvents;
  memory?: MemoryTier | undefined;
  persistent?: PersistentTier | undefined;
  redis?: RedisTier | undefined;
}

/**
 * Read-through, write-through cache over a memory, a persistent and a Redis
 * tier. A read tries them in that order and copies a lower tier's hit into the
 * tiers above it; a write goes to all of them. Tier failures are misses: no
 * method rejects because a tier failed. Create one with {@link createCache}.
 */
export class Cache {
  readonly #events: CacheEvents;
  readonly #memory: MemoryTier | undefined;
  readonly #persistent: PersistentTier | undefined;
  readonly #redis: RedisTier | undefined;
  readonly #flights = new SingleFlight<CacheValue>();
  readonly #pendingWrites = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  /** @internal Use {@link createCache}. */
  constructor(parts: CacheParts) {
    this.#events = parts.events;
    this.#memory = parts.memory;
    this.#persistent = parts.persistent;
    this.#redis = parts.redis;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The value stored under `key`, or `undefined`. Returned values are fresh
   * copies. The type parameter is the caller's assertion, not a check.
   */
  async get<V extends CacheValue = CacheValue>(key: string): Promise<V | undefined> {
    if (this.#closing !== undefined) return undefined;
    const found = await this.#lookup(key);
    if (this.#events.has("lookup")) {
      this.#events.emit(
        "lookup",
        found === undefined ? { key, result: "miss" } : { key, result: "hit", tier: found.tier },
      );
    }
    return found?.value as V | undefined;
  }

  /**
   * Stores `value` in every tier; resolves once Redis has answered or timed out.
   *
   * @throws TypeError (as a rejection) when the value is neither a Float32Array nor JSON data.
   */
  async set(key: string, value: CacheValue, options: CacheSetOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return;
    await this.#write(key, encodeValue(value), options.ttlMs);
  }

  /** Removes `key` from every tier. */
  async delete(key: string): Promise<void> {
    if (this.#closing !== undefined) return;
    this.#memory?.delete(key);
    this.#persistent?.delete(key);
    await this.#redis?.delete(key);
  }

  /**
   * The cached value for `key`, or the result of `compute`, which is then
   * stored. Concurrent calls with the same key share one lookup and one
   * computation. `compute` receives a signal that aborts only when every
   * caller waiting for it has aborted. Errors are passed on and never cached.
   * The Redis write of a computed value happens in the background, so a slow
   * Redis never delays the answer.
   */
  getOrCompute<V extends CacheValue>(
    key: string,
    compute: (signal: AbortSignal) => V | Promise<V>,
    options: GetOrComputeOptions<V> = {},
  ): Promise<V> {
    if (this.#closing !== undefined) {
      if (options.signal?.aborted) return Promise.reject(options.signal.reason);
      return Promise.resolve(compute(options.signal ?? new AbortController().signal));
    }
    const run = async (signal: AbortSignal): Promise<CacheValue> => {
      const cached = await this.get<V>(key);
      if (cached !== undefined) return cached;
      const value = await compute(signal);
      if (options.cacheable === undefined || options.cacheable(value)) this.#store(key, value, options.ttlMs);
      return value;
    };
    if (this.#events.has("compute")) {
      this.#events.emit("compute", { key, shared: this.#flights.has(key) });
    }
    return this.#flights.run(key, run, options.signal) as Promise<V>;
  }

  /** Subscribes to hits, misses, evictions, errors and more; returns the function that unsubscribes. */
  on<E extends keyof CacheEventMap>(event: E, listener: CacheListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  /** Counters of every configured tier. */
  stats(): CacheStats {
    const stats: CacheStats = { singleFlight: this.#flights.stats() };
    if (this.#memory !== undefined) stats.memory = this.#memory.stats();
    if (this.#persistent !== undefined) stats.persistent = this.#persistent.stats();
    if (this.#redis !== undefined) stats.redis = this.#redis.stats();
    return stats;
  }

  /**
   * Waits for background writes, then closes the database and the Redis
   * connection. Afterwards reads miss, writes are skipped and
   * `getOrCompute` just computes. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#pendingWrites]);
      this.#persistent?.close();
      await this.#redis?.close();
      this.#memory?.clear();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #lookup(key: string): Promise<{ value: CacheValue; tier: TierName } | undefined> {
    const inMemory = this.#memory?.get(key);
    if (inMemory !== undefined) {
      const value = this.#decode(key, inMemory, "memory");
      if (value !== undefined) return { value, tier: "memory" };
    }
    const onDisk = this.#persistent?.get(key);
    if (onDisk !== undefined) {
      const value = this.#decode(key, onDisk, "persistent");
      if (value !== undefined) {
        this.#memory?.set(key, onDisk);
        return { value, tier: "persistent" };
      }
    }
    if (this.#redis === undefined) return undefined;
    const shared = await this.#redis.get(key);
    if (shared === undefined) return undefined;
    const value = this.#decode(key, shared, "redis");
    if (value === undefined) return undefined;
    this.#memory?.set(key, shared);
    this.#persistent?.set(key, shared);
    return { value, tier: "redis" };
  }

  /** Stores a computed value without making the caller wait for Redis. */
  #store(key: string, value: CacheValue, ttlMs: number | undefined): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(value);
    } catch (error) {
      // A value the codec cannot hold is served but not cached.
      this.#events.emit("error", { tier: "memory", op: "encode", error });
      return;
    }
    const pending = this.#write(key, bytes, ttlMs);
    this.#pendingWrites.add(pending);
    pending.finally(() => this.#pendingWrites.delete(pending));
  }

  async #write(key: string, bytes: Uint8Array, ttlMs: number | undefined): Promise<void> {
    this.#memory?.set(key, bytes, ttlMs);
    this.#persistent?.set(key, bytes, ttlMs);
    await this.#redis?.set(key, bytes, ttlMs);
  }

  #decode(key: string, bytes: Uint8Array, tier: TierName): CacheValue | undefined {
    try {
      return decodeValue(bytes);
    } catch (error) {
      this.#events.emit("miss", { tier, key, reason: "corrupt" });
      this.#events.emit("error", { tier, op: "decode", error });
      return undefined;
    }
  }
}
