import { checkRates, type RateLimitOptions } from "./RateLimiter.ts";

/** Most client addresses tracked at once; beyond it, full (forgiven) buckets are dropped first. */
const MAX_ADDRESSES = 50_000;

/**
 * Token bucket of failed authentications (401/403) per client address. A
 * spent bucket blocks the address before its key is even checked, so key
 * guessing slows to the refill rate and a flood of wrong keys costs no hash
 * and no audit write per request. In memory: each replica counts its own.
 */
export class FailedAuthLimiter {
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

  /** Applies new rates from now on (hot reload). */
  update(options: RateLimitOptions): void {
    checkRates(options);
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const bucket = this.#refill(address);
    if (bucket === undefined || bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }

  /** Spends one token of `address` for a 401/403 it was just given. */
  fail(address: string): void {
    const bucket = this.#refill(address) ?? { tokens: this.#burst, at: this.#now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.#buckets.set(address, bucket);
    if (this.#buckets.size > MAX_ADDRESSES) this.#sweep();
  }

  #refill(address: string): { tokens: number; at: number } | undefined {
    const bucket = this.#buckets.get(address);
    if (bucket === undefined) return undefined;
    const now = this.#now();
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    return bucket;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [address, b] of this.#buckets)
      if (b.tokens + (now - b.at) * this.#perMs >= this.#burst) this.#buckets.delete(address);
    // Still too many: an address-spraying flood; forget the oldest half rather than grow.
    if (this.#buckets.size > MAX_ADDRESSES) {
      let drop = this.#buckets.size - MAX_ADDRESSES / 2;
      for (const address of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(address);
      }
    }
  }
}
