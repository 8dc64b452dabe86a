/** What a rate limiter answers for one request. */
export interface RateDecision {
  allowed: boolean;
  /** Seconds until a token is available again (0 when allowed). */
  retryAfterSeconds: number;
  /** Tokens left in the bucket after this request. */
  remaining: number;
}

/** A per-key token bucket; implementations: in memory, or in Redis so replicas share it. */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
  /** Applies new rates to every bucket from now on (hot reload). */
  update(options: RateLimitOptions): void;
  close(): Promise<void>;
}

/** Token bucket parameters. */
export interface RateLimitOptions {
  /** Tokens added per minute. */
  perMinute: number;
  /** Bucket capacity (largest burst). */
  burst: number;
}

/** Token buckets in this process; buckets idle long enough to be full are forgotten. */
export class MemoryRateLimiter implements RateLimiter {
  #perMs: number;
  #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    checkRates(options);
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#now = now;
  }

  update(options: RateLimitOptions): void {
    checkRates(options);
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
  }

  async take(key: string): Promise<RateDecision> {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(bucket.tokens) };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)),
      remaining: 0,
    };
  }

  #sweep(now: number): void {
    const fullAfterMs = this.#burst / this.#perMs;
    for (const [key, b] of this.#buckets) if (now - b.at > fullAfterMs) this.#buckets.delete(key);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
  }
}

/** Throws RangeError naming the bad rate. */
export function checkRates(options: RateLimitOptions): void {
  if (!(options.perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${options.perMinute}`);
  if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`);
}
