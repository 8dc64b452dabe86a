// A hot reload of each field marked "(reload)": the new value takes effect on
// the running server, and the reload reports as applied exactly what changed.
import { dirname } from "node:path";
import { describeConfig, type SluiceConfigInput } from "@sluice/config";
import { findModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/ApiKeyStore.ts";
import { chat, eventually, type Harness, merge, sample, startWith, wrongKeys } from "./config/harness.ts";

// The folder holding the real stories260K: SLUICE_MODEL_DIRS (CI: ../shared/models), else the
// copy the repository ships in models/fixtures. A missing file fails these checks, never skips them.
const STORIES_FILE = findModelFixture("stories260K.gguf");
if (STORIES_FILE === undefined)
  throw new Error("stories260K.gguf not found (SLUICE_MODEL_DIRS, models/fixtures)");
const SHARED = dirname(STORIES_FILE);
const KEY = "reload-secret";
const auth = { authorization: `Bearer ${KEY}` };

const initial: SluiceConfigInput = {
  models: { dirs: [SHARED], preload: ["stories260K"] },
  auth: { keys: [{ id: "r", sha256: sha256Hex(KEY), scopes: ["infer", "admin"] }] },
  limits: { rateLimit: { enabled: true, burst: 1000, requestsPerMinute: 600 } },
  cascade: {
    enabled: true,
    tiers: [
      { model: "stories260K", cost: 1, confidenceThreshold: 0 },
      { model: "lfm2-tiny", cost: 2, confidenceThreshold: 0 },
    ],
  },
};

/**
 * Lets an entry stored just now grow older than `ttlMs`. The age is the input here, not an
 * outcome polled for: back-to-back requests can land within 1 ms of the store on a fast path,
 * and the memory tier counts an entry as expired only once its age exceeds the TTL.
 */
const outlive = (ttlMs: number) => new Promise((r) => setTimeout(r, ttlMs + 20));

let h: Harness;
let current: SluiceConfigInput = initial;

/** Changes the file, reloads, and returns what the server applied. */
function reload(change: SluiceConfigInput) {
  current = merge(current, change);
  h.rewrite(current);
  h.server.reload();
  return h.server.lastReload;
}

beforeAll(async () => {
  h = await startWith(initial);
}, 120_000);
afterAll(async () => {
  await h?.stop();
}, 60_000);

const post = (path: string, body: unknown) => h.post(path, body, auth);
const embedCached = async () =>
  (await post("/v1/embeddings", { model: "lfm2-tiny", input: ["ttl"] })).json().sluice.cachedCount as number;
const chatCached = async () =>
  (await post("/v1/chat/completions", chat("ttl"))).json().sluice.cached as boolean;

const checks: Record<string, () => Promise<void>> = {
  "limits.maxInputChars": async () => {
    expect((await post("/v1/chat/completions", chat("x".repeat(60)))).status).toBe(200);
    expect(reload({ limits: { maxInputChars: 50 } })?.applied).toEqual(["limits.maxInputChars"]);
    expect((await post("/v1/chat/completions", chat("x".repeat(60)))).status).toBe(400);
  },
  "limits.maxTokens": async () => {
    expect((await post("/v1/chat/completions", chat("hi", { max_tokens: 301 }))).status).toBe(200);
    expect(reload({ limits: { maxTokens: 300 } })?.applied).toEqual(["limits.maxTokens"]);
    expect((await post("/v1/chat/completions", chat("hi", { max_tokens: 301 }))).status).toBe(400);
  },
  "limits.defaultMaxTokens": async () => {
    expect(reload({ limits: { defaultMaxTokens: 2 } })?.applied).toEqual(["limits.defaultMaxTokens"]);
    const res = await post("/v1/chat/completions", chat("a long story", { max_tokens: undefined }));
    expect(res.json().usage.completion_tokens).toBeLessThanOrEqual(2);
  },
  "limits.maxEmbeddingInputs": async () => {
    expect(reload({ limits: { maxEmbeddingInputs: 1 } })?.applied).toEqual(["limits.maxEmbeddingInputs"]);
    expect((await post("/v1/embeddings", { model: "lfm2-tiny", input: ["a", "b"] })).status).toBe(400);
  },
  "limits.rateLimit.burst": async () => {
    expect(reload({ limits: { rateLimit: { burst: 2 } } })?.applied).toEqual(["limits.rateLimit.burst"]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.get("/v1/models", auth)).status);
    expect(statuses).toContain(429);
  },
  "limits.failedAuth.burst": async () => {
    expect(reload({ limits: { failedAuth: { burst: 3 } } })?.applied).toEqual(["limits.failedAuth.burst"]);
    const { statuses } = await wrongKeys(h, "127.0.0.6", 5);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  },
  "limits.failedAuth.perMinute": async () => {
    expect(reload({ limits: { failedAuth: { perMinute: 1 } } })?.applied).toEqual([
      "limits.failedAuth.perMinute",
    ]);
    // One failure refilled per minute: the wait is tens of seconds (2 s at the default 30).
    const { retryAfter } = await wrongKeys(h, "127.0.0.7", 6);
    expect(retryAfter).toBeGreaterThanOrEqual(30);
  },
  "limits.rateLimit.requestsPerMinute": async () => {
    try {
      // A bucket of one at 6 per minute: right after a token is spent, the next one is 10 s away.
      const done = reload({ limits: { rateLimit: { requestsPerMinute: 6, burst: 1 } } });
      expect(done?.applied).toContain("limits.rateLimit.requestsPerMinute");
      await eventually(async () => ((await h.get("/v1/models", auth)).status === 200 ? true : undefined));
      const res = await h.get("/v1/models", auth);
      expect(res.status).toBe(429);
      expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(5);
    } finally {
      // Open the tap again for the checks that follow.
      reload({ limits: { rateLimit: { requestsPerMinute: 600_000, burst: 100_000 } } });
    }
  },
  "cascade.tiers[].confidenceThreshold": async () => {
    const ask = () =>
      h.server.sluice.chat({ model: "auto", messages: [{ role: "user", content: "hi" }], maxTokens: 4 });
    expect((await ask()).cascade?.tier).toBe("stories260K");
    const done = reload({
      cascade: {
        tiers: [
          { model: "stories260K", cost: 1, confidenceThreshold: 1 },
          { model: "lfm2-tiny", cost: 2, confidenceThreshold: 0 },
        ],
      },
    });
    expect(done?.applied).toEqual(["cascade.tiers.0.confidenceThreshold"]);
    expect((await ask()).cascade?.tier).toBe("lfm2-tiny");
  },
  "telemetry.logLevel": async () => {
    expect(reload({ telemetry: { logLevel: "warn" } })?.applied).toEqual(["telemetry.logLevel"]);
    expect(h.server.sluice.telemetry.logger.level).toBe("warn");
  },
  "telemetry.latencyTargetsMs": async () => {
    expect(
      reload({ telemetry: { latencyTargetsMs: { chat: 4321, completion: 10_000, embed: 2000 } } })?.applied,
    ).toEqual(["telemetry.latencyTargetsMs.chat"]);
    expect(
      sample((await h.get("/metrics", auth)).body, "sluice_latency_target_seconds", { op: "chat" }),
    ).toBe(4.321);
  },
  "cache.results.ttlMs": async () => {
    await chatCached();
    expect(await chatCached()).toBe(true);
    expect(reload({ cache: { results: { ttlMs: 1 } } })?.applied).toEqual(["cache.results.ttlMs"]);
    await post("/v1/chat/completions", chat("ttl2"));
    await outlive(1);
    expect((await post("/v1/chat/completions", chat("ttl2"))).json().sluice.cached).toBe(false);
  },
  "cache.embeddings.ttlMs": async () => {
    await embedCached();
    expect(await embedCached()).toBe(1);
    expect(reload({ cache: { embeddings: { ttlMs: 1 } } })?.applied).toEqual(["cache.embeddings.ttlMs"]);
    await post("/v1/embeddings", { model: "lfm2-tiny", input: ["ttl2"] });
    await outlive(1);
    expect(
      (await post("/v1/embeddings", { model: "lfm2-tiny", input: ["ttl2"] })).json().sluice.cachedCount,
    ).toBe(0);
  },
};

describe("hot reload", () => {
  it("has a check for every field marked (reload)", () => {
    const reloadable = describeConfig()
      .filter((f) => f.runtimeSafe)
      .map((f) => f.path);
    expect(reloadable.sort()).toEqual(Object.keys(checks).sort());
  });

  for (const [path, check] of Object.entries(checks)) it(`applies ${path} without a restart`, check, 60_000);

  it("reports a restart-only field as such and applies nothing", async () => {
    const done = reload({ limits: { maxQueueDepth: 3 } });
    expect(done).toMatchObject({
      outcome: "restart_required",
      applied: [],
      restartRequired: ["limits.maxQueueDepth"],
    });
    const metrics = (await h.get("/metrics", auth)).body;
    expect(
      sample(metrics, "sluice_config_reloads_total", { outcome: "restart_required" }),
    ).toBeGreaterThanOrEqual(1);
  });
});
