import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSluiceError } from "../../src/errors/index.ts";
import type { Engine } from "../../src/runtime/engine/index.ts";
import { LlamaEngine, LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { collect, TEST_LOAD, testModels } from "./models.ts";

const models = await testModels();
const factory = new LlamaEngineFactory();

describe.each(models)("LlamaEngine on $name", (m) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.load({ modelPath: m.path, ...TEST_LOAD });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it("continues a prompt greedily and streams the same text it returns", async () => {
    const { text, pieces, done } = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 12, temperature: 0 }),
    );
    expect(pieces).toBe(text);
    expect(done.stats.generatedTokens).toBeGreaterThan(0);
    expect(done.stats.promptTokens).toBeGreaterThan(1);
    if (m.name === "stories260K") expect(text.startsWith(", there was a little girl")).toBe(true);
    expect(engine.busySequences()).toBe(0);
  });

  // Concurrent vs solo output is held to its solo reference in test/fidelity/cobatch.test.ts.
  it("runs 16 concurrent generations on 4 sequences, never more at once, and frees them all", async () => {
    let maxBusy = 0;
    const done = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        let finished = false;
        for await (const e of engine.generate({ prompt: `${m.prompt} ${i}`, maxTokens: 8, temperature: 0 })) {
          maxBusy = Math.max(maxBusy, engine.busySequences());
          if (e.type === "done") finished = e.stats.generatedTokens > 0;
        }
        return finished;
      }),
    );
    expect(done).toEqual(Array(16).fill(true));
    expect(maxBusy).toBe(4);
    expect(engine.busySequences()).toBe(0);
  });

  it("cuts the output at a stop string and never streams part of it", async () => {
    const free = (await collect(engine.generate({ prompt: m.prompt, maxTokens: 16, temperature: 0 }))).text;
    const stop = free.slice(4, 7);
    const { text, pieces, done } = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 16, temperature: 0, stop: [stop] }),
    );
    expect(text).toBe(free.slice(0, free.indexOf(stop)));
    expect(pieces).toBe(text);
    expect(done.stats.finishReason).toBe("stop");
  });

  it("reports a confidence score as the geometric mean of chosen-token probabilities", async () => {
    const { done } = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 8, temperature: 0, confidence: true }),
    );
    const c = done.stats.confidence;
    expect(c).toBeDefined();
    expect(c?.score).toBeCloseTo(Math.exp(c?.meanLogprob ?? Number.NaN), 10);
    expect(c?.minProb).toBeGreaterThan(0);
    expect(c?.minProb).toBeLessThanOrEqual(c?.score ?? 0);
    expect(c?.score).toBeLessThanOrEqual(1);
  });

  it("gives the same sampled text for the same seed", async () => {
    const a = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 12, temperature: 1, seed: 7, topK: 40, topP: 0.9 }),
    );
    const b = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 12, temperature: 1, seed: 7, topK: 40, topP: 0.9 }),
    );
    expect(a.text).toBe(b.text);
  });

  it("constrains output to a JSON schema", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const { text } = await collect(
      engine.generate({ prompt: m.prompt, maxTokens: 40, temperature: 0, jsonSchema: schema }),
    );
    expect(typeof JSON.parse(text).ok).toBe("boolean");
  });

  it("answers chat messages through the model's chat template", async () => {
    const messages = [
      { role: "system" as const, content: "You tell stories." },
      { role: "user" as const, content: m.prompt },
    ];
    const { text, pieces, done } = await collect(engine.generate({ messages, maxTokens: 8, temperature: 0 }));
    expect(pieces).toBe(text);
    // The rendered template is longer than the bare user text.
    const bare = await engine.tokenize(m.prompt);
    expect(done.stats.promptTokens).toBeGreaterThan(bare.length + 2);
    expect(done.stats.generatedTokens).toBeGreaterThan(0);
  });

  it("embeds texts in order and L2-normalises on request", async () => {
    const [a, b] = await engine.embed(["hello world", "a cat sat"], { normalize: true });
    const [a2] = await engine.embed(["hello world"]);
    expect(a?.length).toBe(engine.info.embeddingLength);
    const norm = Math.hypot(...(a ?? []));
    expect(norm).toBeCloseTo(1, 4);
    expect(a).not.toEqual(b);
    const scale = Math.hypot(...(a2 ?? []));
    expect((a2?.[0] ?? 0) / scale).toBeCloseTo(a?.[0] ?? 0, 4);
  });

  it("rejects bad input with INVALID_INPUT before taking a sequence", async () => {
    const bad = [
      { prompt: "" },
      { prompt: "   " },
      { prompt: "x ".repeat(2000) },
      { prompt: m.prompt, temperature: -1 },
      { prompt: m.prompt, topP: 1.5 },
      { prompt: m.prompt, maxTokens: 0 },
      { prompt: m.prompt, seed: 1.5 },
      { prompt: m.prompt, messages: [{ role: "user" as const, content: "hi" }] },
    ];
    for (const params of bad) {
      const iterator = engine.generate(params)[Symbol.asyncIterator]();
      const err = await iterator.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSluiceError(err) && err.code).toBe("INVALID_INPUT");
      expect(engine.busySequences()).toBe(0);
    }
    await expect(engine.embed([""])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(engine.embed(["x ".repeat(2000)])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("fails with DISPOSED after dispose, and dispose is idempotent", async () => {
    const other = await factory.load({ modelPath: m.path, ...TEST_LOAD, sequences: 1 });
    expect(other).toBeInstanceOf(LlamaEngine);
    await Promise.all([other.dispose(), other.dispose()]);
    expect(other.disposed).toBe(true);
    await expect(other.embed(["x"])).rejects.toMatchObject({ code: "DISPOSED" });
  });
});
