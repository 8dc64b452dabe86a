import { LRUCache } from "lru-cache";
import type { CacheEvents } from "./CacheEvents.ts";

/** Options of the in-process tier. */
export interface MemoryTierOptions {
  /** Most entries held. Defaults to `10_000`. */
  maxEntries?: number;
  /** Most bytes held, counting each entry's encoded value and its key. Defaults to `67_108_864` (64 MiB). */
  maxBytes?: number;
  /** Entry lifetime in milliseconds; `0` keeps entries until evicted. Defaults to the cache's `ttlMs`. */
  ttlMs?: number;
}

/** Counters of the memory tier. */
export interface MemoryTierStats {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

/**
 * LRU of encoded values bounded by entries and bytes, with a TTL. It holds
 * encoded bytes rather than live objects so sizes are exact and no caller can
 * mutate what another caller will read.
 */
export class MemoryTier {
  readonly #lru: LRUCache<string, Uint8Array>;
  readonly #events: CacheEvents;
  readonly #maxBytes: number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(options: Required<MemoryTierOptions>, events: CacheEvents, now: () => number) {
    this.#events = events;
    this.#maxBytes = options.maxBytes;
    this.#lru = new LRUCache<string, Uint8Array>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => entrySize(key, value),
      ttl: options.ttlMs,
      // Expired entries are dropped when touched or pushed out; a timer per entry would cost more than it frees.
      ttlAutopurge: false,
      perf: { now },
      dispose: (_value, key, reason) => {
        if (reason === "evict") {
          this.#evictions++;
          this.#events.emit("eviction", { tier: "memory", key, reason: "size" });
        } else if (reason === "expire") {
          this.#expirations++;
          this.#events.emit("eviction", { tier: "memory", key, reason: "expired" });
        }
      },
    });
  }

  get(key: string): Uint8Array | undefined {
    const value = this.#lru.get(key);
    if (value === undefined) {
      this.#misses++;
      this.#events.emit("miss", { tier: "memory", key, reason: "absent" });
    } else {
      this.#hits++;
      this.#events.emit("hit", { tier: "memory", key });
    }
    return value;
  }

  /** Stores the bytes; an entry larger than `maxBytes` is not stored. `ttlMs` overrides the tier's TTL. */
  set(key: string, value: Uint8Array, ttlMs?: number): void {
    if (entrySize(key, value) > this.#maxBytes) return;
    this.#lru.set(key, value, ttlMs === undefined ? undefined : { ttl: ttlMs });
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  stats(): MemoryTierStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
      maxBytes: this.#maxBytes,
    };
  }
}

/** Bytes an entry is charged: its encoded value plus its key (keys are ASCII hex in practice). */
export function entrySize(key: string, value: Uint8Array): number {
  return value.byteLength + key.length;
}
