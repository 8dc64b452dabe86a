import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Cache } from "../src/Cache.ts";
import type { CacheEventMap } from "../src/CacheEvents.ts";
import { createCache } from "../src/createCache.ts";
import type { RedisTierOptions } from "../src/RedisTier.ts";
import { hasRedisServer, RedisServer } from "./RedisServer.ts";

// In CI a missing redis-server must fail the suite (beforeAll throws), never skip it.
const skip = !hasRedisServer() && !process.env.CI;
if (skip) {
  console.warn(
    "\n!!! SKIPPING the Redis tier tests: redis-server is not on PATH (./scripts/setup.sh installs it). !!!\n",
  );
}
const keys = [{ id: "r1", key: randomBytes(32) }];

/** Resolves on the first matching event; rejects after `timeoutMs` so a test never hangs. */
function nextEvent<E extends keyof CacheEventMap>(
  cache: Cache,
  event: E,
  match: (payload: CacheEventMap[E]) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = cache.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

async function ready(cache: Cache): Promise<void> {
  if (cache.stats().redis?.connected) return;
  await nextEvent(cache, "connection", (e) => e.state === "ready");
}

describe.skipIf(skip)("redis tier", () => {
  let server: RedisServer;
  const caches: Cache[] = [];

  function redisCache(url: string, extra: Partial<RedisTierOptions> = {}): Cache {
    // memory: false, so every read in these tests really goes to Redis.
    const cache = createCache({
      memory: false,
      redis: {
        url,
        keys,
        activeKeyId: "r1",
        timeoutMs: 200,
        cooldownMs: 0,
        reconnectMaxDelayMs: 100,
        ...extra,
      },
    });
    caches.push(cache);
    return cache;
  }

  beforeAll(async () => {
    server = await RedisServer.start();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("shares an entry between two replicas, encrypted, with a TTL", async () => {
    const a = redisCache(server.url, { ttlMs: 60_000 });
    const b = redisCache(server.url);
    await Promise.all([ready(a), ready(b)]);
    await a.set("vec", new Float32Array([1.5, 2.5]));
    await a.set("gen", { text: "the shared secret answer" });
    expect(Array.from((await b.get<Float32Array>("vec"))!)).toEqual([1.5, 2.5]);
    expect(await b.get("gen")).toEqual({ text: "the shared secret answer" });
    expect(b.stats().redis).toMatchObject({ hits: 2, misses: 0 });

    const raw = createClient({ url: server.url });
    await raw.connect();
    const stored = await raw.get("sluice:cache:gen");
    const ttl = await raw.pTTL("sluice:cache:gen");
    await raw.close();
    expect(stored).not.toContain("secret");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("treats an entry under a key it does not have as a miss", async () => {
    const writer = redisCache(server.url);
    const stranger = createCache({
      memory: false,
      redis: { url: server.url, keys: [{ id: "r1", key: randomBytes(32) }], activeKeyId: "r1" },
    });
    caches.push(stranger);
    await Promise.all([ready(writer), ready(stranger)]);
    await writer.set("k", "private");
    await expect(stranger.get("k")).resolves.toBeUndefined();
    expect(stranger.stats().redis).toMatchObject({ unreadable: 1, hits: 0 });
  });

  it("serves every request while redis-server is stopped and restarted, then uses Redis again", async () => {
    const cache = redisCache(server.url);
    const replica = redisCache(server.url);
    await Promise.all([ready(cache), ready(replica)]);
    await cache.set("before", "stored");
    expect(await replica.get("before")).toBe("stored");

    const down = nextEvent(cache, "connection", (e) => e.state === "down");
    // Requests already in flight when the server dies must be served too.
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      cache.getOrCompute(`racing-${i}`, () => `raced ${i}`),
    );
    await server.stop();
    await down;
    expect(await Promise.all(inFlight)).toEqual(Array.from({ length: 20 }, (_, i) => `raced ${i}`));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => cache.getOrCompute(`during-${i}`, () => `computed ${i}`)),
    );
    expect(results.every((r, i) => r.status === "fulfilled" && r.value === `computed ${i}`)).toBe(true);
    expect(await cache.get("before")).toBeUndefined();
    expect(cache.stats().redis!.bypasses).toBeGreaterThanOrEqual(20);

    const back = Promise.all([ready(cache), ready(replica)]);
    await server.start();
    await back;
    await cache.getOrCompute("after", () => "fresh");
    await cache.close();
    expect(await replica.get("after")).toBe("fresh");
    expect(replica.stats().redis?.connected).toBe(true);
  });

  it("bypasses a Redis that stops answering within the command timeout, and returns to it", async () => {
    const cache = redisCache(server.url, { timeoutMs: 150, cooldownMs: 5_000 });
    await ready(cache);
    await cache.set("k", "v");
    vi.useFakeTimers({ toFake: ["Date"] });
    server.pause();
    try {
      const started = performance.now();
      await expect(cache.get("k")).resolves.toBeUndefined();
      const elapsed = performance.now() - started;
      // It waited for the command timeout, then answered without Redis (a hang would time the test out).
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(cache.stats().redis).toMatchObject({ timeouts: 1 });
      // Within the cool-down, requests skip Redis instead of waiting for another timeout.
      const reasons: string[] = [];
      const off = cache.on("bypass", (e) => reasons.push(e.reason));
      await expect(cache.getOrCompute("other", () => "computed")).resolves.toBe("computed");
      off();
      expect(reasons).toEqual(["cooldown", "cooldown"]);
      expect(cache.stats().redis).toMatchObject({ timeouts: 1 });
    } finally {
      server.resume();
    }
    vi.setSystemTime(Date.now() + 5_001);
    expect(await cache.get("k")).toBe("v");
  });

  it("starts while Redis is down, bypasses it, and connects once it comes up", async () => {
    const late = await RedisServer.reserve();
    try {
      const cache = redisCache(late.url);
      await expect(cache.getOrCompute("k", () => "served without redis")).resolves.toBe(
        "served without redis",
      );
      expect(cache.stats().redis).toMatchObject({ connected: false });
      expect(cache.stats().redis!.bypasses).toBeGreaterThan(0);
      const up = ready(cache);
      await late.start();
      await up;
      await cache.set("k2", "through redis");
      const reader = redisCache(late.url);
      await ready(reader);
      expect(await reader.get("k2")).toBe("through redis");
    } finally {
      await late.stop();
    }
  });

  it("answers a Redis error reply with a miss, reported as an error of that operation", async () => {
    const cache = redisCache(server.url);
    await ready(cache);
    // Another program sharing this Redis left a list under one of the cache's keys: GET fails with WRONGTYPE.
    const raw = createClient({ url: server.url });
    await raw.connect();
    await raw.lPush("sluice:cache:listed", "not a cache entry");
    await raw.close();
    const errors: { op: string; error: unknown }[] = [];
    cache.on("error", (e) => errors.push(e));
    await expect(cache.getOrCompute("listed", () => "computed")).resolves.toBe("computed");
    expect(errors[0]).toMatchObject({ op: "get" });
    expect(String(errors[0]!.error)).toMatch(/WRONGTYPE/);
    expect(cache.stats().redis).toMatchObject({ timeouts: 0, hits: 0 });
    expect(cache.stats().redis!.errors).toBeGreaterThanOrEqual(1);
  });

  it("closes while Redis is down without waiting for it, and stops reconnecting", async () => {
    // A port nothing listens on: the client is in its reconnect loop, never ready.
    const absent = await RedisServer.reserve();
    const cache = redisCache(absent.url);
    let refusals = 0;
    const counted = cache.on("error", (e) => {
      if (e.op === "connection") refusals++;
    });
    await nextEvent(cache, "error", (e) => e.op === "connection");
    expect(cache.stats().redis).toMatchObject({ connected: false });
    await cache.close();
    const atClose = refusals;
    // reconnectMaxDelayMs is 100: a client still reconnecting would fail several more times in 600 ms.
    await new Promise((resolve) => setTimeout(resolve, 600));
    counted();
    expect(refusals).toBe(atClose);
  });

  it("needs encryption keys when there is no persistent tier to borrow them from", () => {
    expect(() => createCache({ redis: { url: server.url } })).toThrow(/redis.keys/);
    expect(() => createCache({ redis: { url: "http://x", keys, activeKeyId: "r1" } })).toThrow(/redis.url/);
  });
});
