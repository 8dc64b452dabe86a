import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/ApiKeyStore.ts";
import { RedisRateLimiter } from "../src/auth/RedisRateLimiter.ts";
import type { RunningServer } from "../src/startServer.ts";
import { rawRequest, startTestServer } from "./helpers.ts";
import { startRedis } from "./redis.ts";

let server: RunningServer;
let redis: Awaited<ReturnType<typeof startRedis>>;

beforeAll(async () => {
  redis = await startRedis();
  server = await startTestServer({
    // The admin key is configured by its hash only; the server never sees it in clear text.
    SLUICE_API_KEYS: `alice:infer:infer-secret,root:infer+admin:sha256:${sha256Hex("admin-secret")},bob:infer:bob-secret`,
    SLUICE_LIMITS__RATE_LIMIT__ENABLED: "true",
    SLUICE_RATE_LIMIT_RPM: 1,
    SLUICE_RATE_LIMIT_BURST: 4,
    SLUICE_REDIS_URL: redis.url,
  });
});
afterAll(async () => {
  await server?.shutdown(5000);
  await redis?.stop();
});

const get = (path: string, key?: string) =>
  rawRequest(`${server.url}${path}`, {
    method: "GET",
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
const trpc = (procedure: string, input: unknown, key: string) =>
  rawRequest(`${server.url}/trpc/${procedure}`, {
    body: JSON.stringify(input),
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
  });

describe("API keys and scopes", () => {
  it("answers a missing key with 401 UNAUTHORIZED and a correlation id", async () => {
    const res = await get("/v1/models");
    expect(res.status).toBe(401);
    expect(res.json().error).toMatchObject({ code: "UNAUTHORIZED", requestId: res.headers["x-request-id"] });
  });

  it("answers an unknown key with 401 UNAUTHORIZED", async () => {
    const res = await get("/v1/models", "not-a-key");
    expect(res.status).toBe(401);
    expect(res.json().error.code).toBe("UNAUTHORIZED");
  });

  it("serves an infer key on /v1", async () => {
    const res = await get("/v1/models", "infer-secret");
    expect(res.status).toBe(200);
  });

  it("answers an admin route called with an infer key with 403 FORBIDDEN", async () => {
    const res = await trpc("models.load", { id: "lfm2-tiny" }, "infer-secret");
    expect(res.status).toBe(403);
    expect(res.json().error.data).toMatchObject({
      sluiceCode: "FORBIDDEN",
      requestId: res.headers["x-request-id"],
    });
  });

  it("lets the admin key, configured as a sha256 hash, call the admin route", async () => {
    const res = await trpc("models.load", { id: "lfm2-tiny" }, "admin-secret");
    expect(res.status).toBe(200);
    expect(res.json().result.data).toMatchObject({ id: "lfm2-tiny", state: "ready" });
  });
});

describe("rate limits", () => {
  it("answers 429 RATE_LIMITED with Retry-After once a key spends its burst, leaving other keys alone", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get("/v1/models", "bob-secret")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await get("/v1/models", "bob-secret");
    expect(limited.status).toBe(429);
    expect(limited.json().error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await get("/v1/models", "admin-secret")).status).toBe(200);
  });

  it("shares one bucket between two replicas through Redis", async () => {
    const options = { url: redis.url, perMinute: 1, burst: 3, prefix: "test:shared:" };
    const a = new RedisRateLimiter(options);
    const b = new RedisRateLimiter(options);
    try {
      const decisions = [await a.take("k"), await b.take("k"), await a.take("k"), await b.take("k")];
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
