import { describe, expect, it } from "vitest";
import { RedisRateLimiter } from "../src/auth/RedisRateLimiter.ts";
import { freePort, startRedis } from "./redis.ts";

describe("RedisRateLimiter without Redis", () => {
  it("limits by this replica's own bucket while Redis is unreachable, and reports the error", async () => {
    const errors: unknown[] = [];
    // A port nothing listens on: every call fails over to the local bucket.
    const limiter = new RedisRateLimiter({
      url: `redis://127.0.0.1:${await freePort()}`,
      perMinute: 1,
      burst: 2,
      onError: (e) => errors.push(e),
    });
    try {
      const decisions = [await limiter.take("k"), await limiter.take("k"), await limiter.take("k")];
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(decisions[2]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(limiter.shared).toBe(false);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await limiter.close();
    }
  });

  it("returns to the shared bucket when Redis comes back", async () => {
    const redis = await startRedis();
    const port = Number(new URL(redis.url).port);
    const limiter = new RedisRateLimiter({ url: redis.url, perMinute: 1, burst: 2 });
    const other = new RedisRateLimiter({ url: redis.url, perMinute: 1, burst: 2 });
    let restarted: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      expect((await limiter.take("k")).allowed).toBe(true);
      await redis.stop();
      // Down: the local bucket (full) answers.
      expect((await limiter.take("k")).allowed).toBe(true);
      restarted = await startRedis(port);
      // Wait on the client's own reconnection (bounded), not a sleep.
      for (let i = 0; i < 100 && !limiter.shared; i++) await new Promise((r) => setTimeout(r, 50));
      expect(limiter.shared).toBe(true);
      // Redis restarted empty: the shared bucket is full again and is spent across both limiters.
      const decisions = [await limiter.take("k"), await other.take("k"), await limiter.take("k")];
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    } finally {
      await limiter.close();
      await other.close();
      await restarted?.stop();
    }
  });
});
