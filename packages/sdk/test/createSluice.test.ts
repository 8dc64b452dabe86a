import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluice, type Sluice } from "../src/index.ts";

let sluice: Sluice;

beforeAll(async () => {
  const path = await ensureSynthModel({ preset: "lfm2-tiny" });
  sluice = await createSluice({
    models: [
      {
        id: "tiny",
        source: path,
        contextSize: 256,
        sequences: 2,
        threads: 2,
        streamIntervalMs: 40,
        preload: true,
        synthetic: true,
      },
    ],
    limits: { maxQueue: 1 },
  });
});
afterAll(() => sluice?.close());

describe("createSluice", () => {
  it("streams tokens and ends with stats from the default model", async () => {
    const events = [];
    for await (const e of sluice.generate({ prompt: "Once upon a time", maxTokens: 8, temperature: 0 }))
      events.push(e);
    const done = events.at(-1);
    expect(done?.type).toBe("done");
    expect(done?.model).toBe("tiny");
    if (done?.type === "done") expect(done.stats.generatedTokens).toBeGreaterThan(0);
    expect(
      events
        .filter((e) => e.type === "token")
        .map((e) => e.text)
        .join(""),
    ).toBe(done?.text);
  });

  it("serves a repeated greedy chat from the result cache with the same text", async () => {
    const request = {
      messages: [{ role: "user" as const, content: "hi there" }],
      maxTokens: 6,
      temperature: 0,
    };
    const first = await sluice.chat(request);
    const second = await sluice.chat(request);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.text).toBe(first.text);
    expect(second.synthetic).toBe(true);
  });

  it("embeds a batch in order and reuses cached vectors", async () => {
    const first = await sluice.embed({ texts: ["alpha", "beta"] });
    const second = await sluice.embed({ texts: ["beta", "gamma"] });
    expect(first.vectors).toHaveLength(2);
    expect(second.cachedCount).toBe(1);
    expect(Array.from(second.vectors[0] as Float32Array)).toEqual(
      Array.from(first.vectors[1] as Float32Array),
    );
  });

  it("refuses an unknown model with MODEL_NOT_FOUND and a bad parameter with INVALID_INPUT", async () => {
    await expect(sluice.complete({ model: "nope", prompt: "x" })).rejects.toMatchObject({
      code: "MODEL_NOT_FOUND",
    });
    await expect(sluice.complete({ prompt: "x", temperature: 9 })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      details: { field: "temperature" },
    });
  });

  it("answers QUEUE_FULL with a retry-after once sequences and queue are taken", async () => {
    const controller = new AbortController();
    const long = { prompt: "tell a long story", maxTokens: 200, temperature: 0.9 };
    const running = [0, 1, 2].map(() => sluice.complete(long, { signal: controller.signal }).catch((e) => e));
    await expect(sluice.complete(long)).rejects.toMatchObject({
      code: "QUEUE_FULL",
      details: { retryAfterMs: expect.any(Number) },
    });
    controller.abort();
    const settled = await Promise.all(running);
    expect(settled.every((r) => r.code === "ABORTED" || typeof r.text === "string")).toBe(true);
  });

  it("reports the default model as ready and lists its status", () => {
    expect(sluice.health()).toMatchObject({ status: "ok", ready: true });
    expect(sluice.models.list()[0]).toMatchObject({
      id: "tiny",
      state: "ready",
      isDefault: true,
      synthetic: true,
    });
    // As the engine (in its runner) applied it, not as configured.
    expect(sluice.models.list()[0]?.engine).toMatchObject({ sequences: 2, threads: 2, streamIntervalMs: 40 });
  });

  it("refuses a streamIntervalMs outside 0-1000 before loading anything", async () => {
    await expect(
      createSluice({ models: [{ id: "tiny", source: "unused.gguf", streamIntervalMs: 1001 }] }),
    ).rejects.toThrow(/streamIntervalMs must be an integer from 0 to 1000, got 1001/);
  });
});
