import { LlamaContextSequence } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/runtime/engine/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { collect, TEST_LOAD, testModels } from "./models.ts";

const models = await testModels();
const factory = new LlamaEngineFactory();

/** The chunk lengths of the native generation chunks (patched node-llama-cpp) started meanwhile. */
async function chunksDuring<T>(run: () => Promise<T>): Promise<{ result: T; chunkMs: number[] }> {
  const proto = LlamaContextSequence.prototype as unknown as {
    _generateNatively: (...args: unknown[]) => Promise<unknown>;
  };
  const original = proto._generateNatively;
  expect(typeof original).toBe("function");
  const chunkMs: number[] = [];
  proto._generateNatively = function (this: unknown, ...args: unknown[]) {
    chunkMs.push(args[2] as number);
    return original.apply(this, args);
  };
  try {
    return { result: await run(), chunkMs };
  } finally {
    proto._generateNatively = original;
  }
}

describe.each(models)("streamIntervalMs on $name", (m) => {
  let tokenByToken: Engine;
  let bursts: Engine;
  beforeAll(async () => {
    tokenByToken = await factory.load({ modelPath: m.path, ...TEST_LOAD });
    bursts = await factory.load({ modelPath: m.path, ...TEST_LOAD, streamIntervalMs: 50 });
  });
  afterAll(async () => {
    await tokenByToken.dispose();
    await bursts.dispose();
  });

  it("streams a lone request in native chunks of that length, with the tokens a token-by-token stream gives", async () => {
    for (const params of [
      { prompt: m.prompt, maxTokens: 40, temperature: 0 },
      { prompt: m.prompt, maxTokens: 40, temperature: 0.9, seed: 5, confidence: true, logprobs: 2 },
    ]) {
      const reference = await chunksDuring(() => collect(tokenByToken.generate(params)));
      const streamed = await chunksDuring(() => collect(bursts.generate(params)));
      expect(reference.chunkMs).toEqual([]);
      expect(streamed.chunkMs.length).toBeGreaterThan(0);
      expect(new Set(streamed.chunkMs)).toEqual(new Set([50]));
      expect(streamed.result.pieces).toBe(reference.result.pieces);
      expect(streamed.result.done.stats.generatedTokens).toBe(reference.result.done.stats.generatedTokens);
      expect(streamed.result.done.logprobs?.map((l) => l.token)).toEqual(
        reference.result.done.logprobs?.map((l) => l.token),
      );
    }
    expect(bursts.busySequences()).toBe(0);
  });

  it("streams token by token when the request has stop strings", async () => {
    const { chunkMs } = await chunksDuring(() =>
      collect(bursts.generate({ prompt: m.prompt, maxTokens: 24, temperature: 0, stop: ["\u0000never"] })),
    );
    expect(chunkMs).toEqual([]);
  });

  it("refuses a value outside whole milliseconds from 0 to 1000", async () => {
    for (const streamIntervalMs of [-1, 1001, 2.5])
      await expect(factory.load({ modelPath: m.path, ...TEST_LOAD, streamIntervalMs })).rejects.toThrow(
        /streamIntervalMs must be an integer from 0 to 1000/,
      );
  });
});
