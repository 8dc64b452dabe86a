import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { findModelFixture } from "@sluice/gguf-synth";
import { expect } from "vitest";
import { chat, eventually, type Harness } from "./harness.ts";
import type { Profile } from "./profile.ts";

// The folder holding the real stories260K: SLUICE_MODEL_DIRS (CI: ../shared/models), else the
// copy the repository ships in models/fixtures. A missing file fails these checks, never skips them.
const STORIES_FILE = findModelFixture("stories260K.gguf");
if (STORIES_FILE === undefined)
  throw new Error("stories260K.gguf not found (SLUICE_MODEL_DIRS, models/fixtures)");
const SHARED = dirname(STORIES_FILE);
const STORIES = join(SHARED, "stories260K.gguf");

const statusOf = async (h: Harness, id: string) =>
  ((await h.get("/v1/models")).json().data as Array<{ id: string; sluice: { state: string } }>).find(
    (m) => m.id === id,
  )?.sluice;

const embed = async (h: Harness, input: string[]) =>
  (await h.post("/v1/embeddings", { model: "lfm2-tiny", input })).json().sluice.cachedCount as number;

const cachedChat = async (h: Harness, content = "same question") =>
  (await h.post("/v1/chat/completions", chat(content))).json().sluice.cached as boolean;

/** Model resolution and lifecycle, the cascade and the caches. */
export const modelProfiles: Profile[] = [
  {
    name: "models directory",
    config: { models: { default: "stories260K", allowDownload: false } },
    start: { model: null, env: { SLUICE_OFFLINE: "0" } },
    prepare: (dir) => {
      mkdirSync(join(dir, "models"), { recursive: true });
      copyFileSync(STORIES, join(dir, "models", "stories260K.gguf"));
    },
    fields: {
      "models.dir": async (h) => {
        expect(h.server.model).toMatchObject({ id: "stories260K", synthetic: false });
        expect(h.server.model.source).toBe(join(h.dir, "models", "stories260K.gguf"));
      },
    },
  },
  {
    name: "no downloads",
    config: { models: { default: "lfm2-350m-q8_0", allowDownload: false } },
    start: { model: null, env: { SLUICE_OFFLINE: "0" } },
    fields: {
      "models.allowDownload": async (h) => {
        // Not on disk and not allowed to fetch it: the synthetic fallback, with no download attempt.
        expect(h.server.model.synthetic).toBe(true);
        expect(h.printed.some((line) => line.includes("huggingface") || line.includes("download"))).toBe(
          false,
        );
      },
    },
  },
  {
    name: "extra directories and preload",
    config: { models: { dirs: [SHARED], preload: ["stories260K"] } },
    fields: {
      "models.dirs": async (h) => {
        expect((await h.server.sluice.models.status("stories260K")).path).toBe(STORIES);
      },
      "models.preload": async (h) => {
        expect((await statusOf(h, "stories260K"))?.state).toBe("ready");
      },
    },
  },
  {
    name: "keep-alive",
    config: {
      models: { dirs: [SHARED], keepAliveMs: 200 },
      cascade: { enabled: true, tiers: [{ model: "lfm2-tiny" }, { model: "stories260K" }] },
    },
    fields: {
      "models.keepAliveMs": async (h) => {
        const res = await h.post("/v1/chat/completions", { ...chat("once"), model: "stories260K" });
        expect(res.status).toBe(200);
        // Idle past its keep-alive, the model leaves memory (the default keeps it 5 minutes).
        await eventually(async () =>
          (await statusOf(h, "stories260K"))?.state === "unloaded" ? true : undefined,
        );
      },
    },
  },
  {
    name: "loaded-model cap",
    config: {
      models: { dirs: [SHARED], maxLoaded: 1 },
      cascade: { enabled: true, tiers: [{ model: "lfm2-tiny" }, { model: "stories260K" }] },
    },
    fields: {
      "models.maxLoaded": async (h) => {
        // The default model is pinned (busy): a second model may not load.
        const res = await h.post("/v1/chat/completions", { ...chat("hi"), model: "stories260K" });
        expect(res.status).toBe(503);
        expect(res.json().error.code).toBe("OUT_OF_MEMORY_BUDGET");
        expect(res.body).toContain("maxLoaded");
      },
    },
  },
  {
    name: "cascade tiers",
    config: {
      // Loaded up front: the cascade skips tiers that are not ready.
      models: { dirs: [SHARED], preload: ["stories260K"] },
      cascade: {
        enabled: true,
        // Listed dearest first: the cascade orders them by cost.
        tiers: [
          { model: "lfm2-tiny", cost: 5, confidenceThreshold: 0 },
          { model: "stories260K", cost: 1, confidenceThreshold: 1 },
        ],
      },
    },
    fields: {
      "cascade.enabled": async (h) => {
        const ids = ((await h.get("/v1/models")).json().data as Array<{ id: string }>).map((m) => m.id);
        expect(ids).toContain("auto");
      },
      "cascade.tiers[].cost": async (h) => {
        const r = await h.server.sluice.chat({
          model: "auto",
          messages: [{ role: "user", content: "hi" }],
          maxTokens: 4,
        });
        expect(trace(r).attempts[0]?.tier).toBe("stories260K");
      },
      "cascade.tiers[].confidenceThreshold": async (h) => {
        // stories260K's threshold 1 is not met by its answers: they escalate to the next tier.
        const r = await h.server.sluice.chat({
          model: "auto",
          messages: [{ role: "user", content: "hi" }],
          maxTokens: 4,
        });
        expect(trace(r).escalations).toBe(1);
        expect(r.cascade?.tier).toBe("lfm2-tiny");
      },
      "cascade.tiers[].model": async (h) => {
        // stories260K is served as a tier of model `auto`.
        const r = await h.server.sluice.chat({
          model: "auto",
          messages: [{ role: "user", content: "hi" }],
          maxTokens: 4,
        });
        expect(trace(r).attempts.map((a) => a.tier)).toContain("stories260K");
      },
    },
  },
  {
    name: "cascade without fallback",
    config: {
      cascade: {
        enabled: true,
        fallback: false,
        tiers: [
          { model: "/nonexistent/missing.gguf", cost: 0 },
          { model: "lfm2-tiny", cost: 1 },
        ],
      },
    },
    fields: {
      "cascade.fallback": async (h) => {
        const res = await h.post("/v1/chat/completions", { ...chat("hi"), model: "auto" });
        expect(res.json().error.code).toBe("MODEL_NOT_FOUND");
      },
    },
  },
  {
    name: "A/B experiment",
    config: {
      models: { dirs: [SHARED], preload: ["stories260K"] },
      cascade: {
        enabled: true,
        tiers: [
          { model: "lfm2-tiny", confidenceThreshold: 0 },
          { model: "stories260K", confidenceThreshold: 0 },
        ],
        experiment: {
          id: "exp17",
          arms: [
            { id: "control", weight: 0 },
            { id: "stories-only", weight: 1, tiers: ["stories260K"] },
          ],
        },
      },
    },
    fields: {
      "cascade.experiment.id": async (h) => {
        expect((await abSummary(h)).experiment).toBe("exp17");
      },
      "cascade.experiment.arms[].id": async (h) => {
        expect((await abSummary(h)).arms.map((a: { arm: string }) => a.arm)).toEqual([
          "control",
          "stories-only",
        ]);
      },
      "cascade.experiment.arms[].weight": async (h) => {
        const arms = (await abSummary(h)).arms as Array<{ arm: string; requests: number }>;
        expect(arms.find((a) => a.arm === "control")?.requests).toBe(0);
        expect(arms.find((a) => a.arm === "stories-only")?.requests).toBeGreaterThan(0);
      },
      "cascade.experiment.arms[].tiers": async (h) => {
        const r = await h.server.sluice.chat(
          { model: "auto", messages: [{ role: "user", content: "hi" }], maxTokens: 4 },
          { caller: "someone" },
        );
        expect(r.cascade).toMatchObject({ arm: "stories-only", tier: "stories260K" });
      },
    },
  },
  {
    name: "cache off",
    config: { cache: { enabled: false } },
    fields: {
      "cache.enabled": async (h) => {
        await cachedChat(h);
        expect(await cachedChat(h)).toBe(false);
        await embed(h, ["v"]);
        expect(await embed(h, ["v"])).toBe(0);
      },
    },
  },
  {
    name: "result cache off",
    config: { cache: { results: { enabled: false } } },
    fields: {
      "cache.results.enabled": async (h) => {
        await cachedChat(h);
        expect(await cachedChat(h)).toBe(false);
        // Embeddings are still cached.
        await embed(h, ["v"]);
        expect(await embed(h, ["v"])).toBe(1);
      },
    },
  },
  {
    name: "embedding cache off",
    config: { cache: { embeddings: { enabled: false } } },
    fields: {
      "cache.embeddings.enabled": async (h) => {
        await embed(h, ["v"]);
        expect(await embed(h, ["v"])).toBe(0);
        await cachedChat(h);
        expect(await cachedChat(h)).toBe(true);
      },
    },
  },
  {
    name: "cache lifetimes",
    config: (dir) => ({
      cache: {
        embeddings: { ttlMs: 1 },
        results: { ttlMs: 1 },
        // The disk tier too: it must honour the same lifetimes.
        persistent: {
          enabled: true,
          path: join(dir, "c.db"),
          keys: [{ id: "k", key: Buffer.alloc(32, 7).toString("base64") }],
        },
      },
    }),
    fields: {
      "cache.results.ttlMs": async (h) => {
        await cachedChat(h);
        expect(await cachedChat(h)).toBe(false);
      },
      "cache.embeddings.ttlMs": async (h) => {
        await embed(h, ["v"]);
        expect(await embed(h, ["v"])).toBe(0);
      },
    },
  },
  {
    name: "memory tier bounds",
    config: { cache: { memory: { maxEntries: 1 } } },
    fields: {
      "cache.memory.maxEntries": async (h) => {
        await embed(h, ["a"]);
        await embed(h, ["b"]);
        expect(await embed(h, ["b"])).toBe(1);
        expect(await embed(h, ["a"])).toBe(0);
      },
    },
  },
  {
    name: "memory tier bytes",
    config: { cache: { memory: { maxBytes: 16 } } },
    fields: {
      "cache.memory.maxBytes": async (h) => {
        await embed(h, ["a"]);
        expect(await embed(h, ["a"])).toBe(0);
      },
    },
  },
];

// biome-ignore lint/suspicious/noExplicitAny: the summary is read loosely and asserted on.
async function abSummary(h: Harness): Promise<any> {
  // Traffic first: the summary is of real requests.
  for (let i = 0; i < 3; i++)
    expect((await h.post("/v1/chat/completions", { ...chat(`q${i}`), model: "auto" })).status).toBe(200);
  const res = await h.get("/trpc/cascade.abSummary");
  expect(res.status).toBe(200);
  const summary = res.json().result.data;
  expect(summary).not.toBeNull();
  return summary;
}

/** The decision trace of a cascaded answer. */
function trace(r: { cascade?: { trace: unknown } }): {
  attempts: Array<{ tier: string }>;
  escalations: number;
} {
  return r.cascade?.trace as { attempts: Array<{ tier: string }>; escalations: number };
}
