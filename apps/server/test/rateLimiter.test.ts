import { describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "../src/auth/RateLimiter.ts";

describe("MemoryRateLimiter", () => {
  it("spends the burst, refills at the configured rate and says when to retry", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ perMinute: 60, burst: 2 }, () => now);
    expect((await limiter.take("k")).allowed).toBe(true);
    expect((await limiter.take("k")).allowed).toBe(true);
    const denied = await limiter.take("k");
    expect(denied).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect((await limiter.take("k")).allowed).toBe(true);
    expect((await limiter.take("other")).allowed).toBe(true);
  });

  it("applies new rates from a hot reload to existing buckets", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ perMinute: 1, burst: 1 }, () => now);
    await limiter.take("k");
    expect((await limiter.take("k")).allowed).toBe(false);
    limiter.update({ perMinute: 6000, burst: 10 });
    now += 100;
    expect((await limiter.take("k")).allowed).toBe(true);
  });

  it("rejects a non-positive rate with a RangeError naming it", () => {
    expect(() => new MemoryRateLimiter({ perMinute: 0, burst: 1 })).toThrow(/perMinute/);
  });
});
