import { createClient, type RedisClientType } from "redis";
import {
  checkRates,
  MemoryRateLimiter,
  type RateDecision,
  type RateLimiter,
  type RateLimitOptions,
} from "./RateLimiter.ts";

// Refill and take in one atomic script, so replicas sharing the bucket never
// both spend its last token. Time comes from Redis, not from the replicas.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local per_ms = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * per_ms)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return { allowed, tostring(tokens) }
`;

/** Options of the Redis-backed limiter. */
export interface RedisRateLimiterOptions extends RateLimitOptions {
  url: string;
  /** Key prefix. Defaults to `"sluice:rl:"`. */
  prefix?: string;
  /** Time to wait for Redis before failing open. Defaults to `250` ms. */
  timeoutMs?: number;
  /** Receives Redis failures (the request is then limited by this replica's own bucket). Defaults to none. */
  onError?: (error: unknown) => void;
}

/**
 * Token buckets in Redis, shared by every replica. When Redis is down or slow
 * the limiter falls back to a bucket of this replica's own (same rates), and
 * reports the error: a Redis outage must neither become an API outage nor
 * lift the limit. With N replicas a key may then get up to N times its
 * budget until Redis answers again; the next request after that is limited
 * by the shared bucket once more.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: RedisClientType;
  #perMs: number;
  #burst: number;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #ready: Promise<unknown>;
  readonly #local: MemoryRateLimiter;
  #closed = false;

  constructor(options: RedisRateLimiterOptions) {
    if (!(options.perMinute > 0))
      throw new RangeError(`perMinute must be positive, got ${options.perMinute}`);
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#prefix = options.prefix ?? "sluice:rl:";
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#onError = options.onError ?? (() => undefined);
    this.#local = new MemoryRateLimiter({ perMinute: options.perMinute, burst: options.burst });
    this.#client = createClient({
      url: options.url,
      socket: { connectTimeout: 2000, reconnectStrategy: (n) => Math.min(2000, 50 * 2 ** n) },
    }) as RedisClientType;
    this.#client.on("error", (err: unknown) => this.#onError(err));
    this.#ready = this.#client.connect().catch((err: unknown) => this.#onError(err));
  }

  update(options: RateLimitOptions): void {
    checkRates(options);
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#local.update(options);
  }

  /** Whether the last decisions came from the shared bucket (false while Redis is unreachable). */
  get shared(): boolean {
    return this.#client.isReady;
  }

  async take(key: string): Promise<RateDecision> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // One deadline covers the first connection and the command: while Redis
      // is unreachable, connect() keeps retrying and would never settle.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`redis did not answer in ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      });
      await Promise.race([this.#ready, timeout]);
      if (!this.#client.isReady) throw new Error("redis is not connected");
      const reply = (await Promise.race([
        this.#client.eval(SCRIPT, {
          keys: [this.#prefix + key],
          arguments: [String(this.#perMs), String(this.#burst)],
        }),
        timeout,
      ])) as [number, string];
      const tokens = Number(reply[1]);
      if (reply[0] === 1) return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(tokens) };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.#perMs / 1000)),
        remaining: 0,
      };
    } catch (err) {
      this.#onError(err);
      return this.#local.take(key);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#local.close();
    // quit() needs a connected client; a client still trying to connect is destroyed.
    if (this.#client.isReady) await this.#client.quit().catch(() => this.#client.destroy());
    else if (this.#client.isOpen) this.#client.destroy();
  }
}
