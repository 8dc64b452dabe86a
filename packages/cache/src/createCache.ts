import { Cache } from "./Cache.ts";
import { CacheEvents } from "./CacheEvents.ts";
import { KeyRing } from "./KeyRing.ts";
import { MemoryTier, type MemoryTierOptions } from "./MemoryTier.ts";
import { PersistentTier, type PersistentTierOptions } from "./PersistentTier.ts";
import { RedisTier, type RedisTierOptions } from "./RedisTier.ts";

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Default entry lifetime of every tier in milliseconds; `0` means entries live until evicted. Defaults to `86_400_000` (one day). */
  ttlMs?: number;
  /** In-process tier; `false` turns it off. Defaults to `{}` (on, with its defaults). */
  memory?: MemoryTierOptions | false;
  /** Encrypted SQLite tier that survives restarts. Defaults to none. */
  persistent?: PersistentTierOptions;
  /** Encrypted tier shared by replicas. Defaults to none. */
  redis?: RedisTierOptions;
}

const DEFAULT_TTL_MS = 86_400_000;
const DAY_MS = 86_400_000;

/**
 * Creates a cache from its tiers' options. It returns at once; Redis connects
 * in the background and is bypassed until it is ready.
 *
 * @throws RangeError naming the option when an option is invalid (a bound that
 * is not a positive integer, a malformed or missing key).
 */
export function createCache(options: CacheOptions = {}): Cache {
  const ttlMs = count(options.ttlMs ?? DEFAULT_TTL_MS, "ttlMs", true);
  const events = new CacheEvents();
  const memory =
    options.memory === false
      ? undefined
      : new MemoryTier(
          {
            maxEntries: count(options.memory?.maxEntries ?? 10_000, "memory.maxEntries"),
            maxBytes: count(options.memory?.maxBytes ?? 64 * 1024 * 1024, "memory.maxBytes"),
            ttlMs: count(options.memory?.ttlMs ?? ttlMs, "memory.ttlMs", true),
          },
          events,
          monotonicNow,
        );

  let keyRing: KeyRing | undefined;
  let persistent: PersistentTier | undefined;
  const disk = options.persistent;
  if (disk !== undefined) {
    if (typeof disk.path !== "string" || disk.path.length === 0) {
      throw new RangeError(`persistent.path must be a file path, got ${JSON.stringify(disk.path)}`);
    }
    keyRing = new KeyRing(disk.keys ?? [], disk.activeKeyId);
    persistent = new PersistentTier(
      {
        path: disk.path,
        maxBytes: count(disk.maxBytes ?? 256 * 1024 * 1024, "persistent.maxBytes"),
        ttlMs: count(disk.ttlMs ?? ttlMs, "persistent.ttlMs", true),
      },
      keyRing,
      events,
      Date.now,
    );
  }

  let redis: RedisTier | undefined;
  const shared = options.redis;
  if (shared !== undefined) {
    if (!/^rediss?:\/\//.test(shared.url ?? "")) {
      throw new RangeError(
        `redis.url must start with redis:// or rediss://, got ${JSON.stringify(shared.url)}`,
      );
    }
    let redisKeys = keyRing;
    if (shared.keys !== undefined || shared.activeKeyId !== undefined) {
      redisKeys = new KeyRing(shared.keys ?? disk?.keys ?? [], shared.activeKeyId ?? disk?.activeKeyId ?? "");
    }
    if (redisKeys === undefined) {
      persistent?.close();
      throw new RangeError("redis.keys and redis.activeKeyId are required when there is no persistent tier");
    }
    redis = new RedisTier(
      {
        url: shared.url,
        timeoutMs: count(shared.timeoutMs ?? 100, "redis.timeoutMs"),
        ttlMs: count(shared.ttlMs ?? (ttlMs > 0 ? ttlMs : DAY_MS), "redis.ttlMs"),
        keyPrefix: shared.keyPrefix ?? "sluice:cache:",
        cooldownMs: count(shared.cooldownMs ?? 1000, "redis.cooldownMs", true),
        reconnectMaxDelayMs: count(shared.reconnectMaxDelayMs ?? 2000, "redis.reconnectMaxDelayMs"),
      },
      redisKeys,
      events,
    );
  }
  return new Cache({ events, memory, persistent, redis });
}

/**
 * Monotonic milliseconds, never 0: lru-cache reads a start time of 0 as "no
 * TTL", and a clock that starts at 0 (a fresh worker, fake timers) would make
 * the first entries immortal.
 */
function monotonicNow(): number {
  return performance.now() + 1;
}

function count(value: number, name: string, zeroAllowed = false): number {
  if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new RangeError(
      `${name} must be a ${zeroAllowed ? "non-negative" : "positive"} integer, got ${value}`,
    );
  }
  return value;
}
