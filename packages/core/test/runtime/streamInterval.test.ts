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

/** The model loaded twice for the enclosing describe: token by token, and with 50 ms bursts. */
function enginePair(modelPath: string): { tokenByToken: Engine; bursts: Engine } {
  const pair = {} as { tokenByToken: Engine; bursts: Engine };
  beforeAll(async () => {
    pair.tokenByToken = await factory.load({ modelPath, ...TEST_LOAD });
    pair.bursts = await factory.load({ modelPath, ...TEST_LOAD, streamIntervalMs: 50 });
  });
  afterAll(async () => {
    await pair.tokenByToken.dispose();
    await pair.bursts.dispose();
  });
  return pair;
}

describe.each(models)("streamIntervalMs on $name", (m) => {
  const engines = enginePair(m.path);

  it("streams a lone request in native chunks of that length, with the tokens a token-by-token stream gives", async () => {
    for (const params of [
      { prompt: m.prompt, maxTokens: 40, temperature: 0 },
      { prompt: m.prompt, maxTokens: 40, temperature: 0.9, seed: 5, confidence: true, logprobs: 2 },
    ]) {
      const reference = await chunksDuring(() => collect(engines.tokenByToken.generate(params)));
      const streamed = await chunksDuring(() => collect(engines.bursts.generate(params)));
      expect(reference.chunkMs).toEqual([]);
      expect(streamed.chunkMs.length).toBeGreaterThan(0);
      expect(new Set(streamed.chunkMs)).toEqual(new Set([50]));
      expect(streamed.result.pieces).toBe(reference.result.pieces);
      expect(streamed.result.done.stats.generatedTokens).toBe(reference.result.done.stats.generatedTokens);
      expect(streamed.result.done.logprobs?.map((l) => l.token)).toEqual(
        reference.result.done.logprobs?.map((l) => l.token),
      );
    }
    expect(engines.bursts.busySequences()).toBe(0);
  });

  it("streams token by token when the request has stop strings", async () => {
    const { chunkMs } = await chunksDuring(() =>
      collect(
        engines.bursts.generate({ prompt: m.prompt, maxTokens: 24, temperature: 0, stop: ["\u0000never"] }),
      ),
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

// lfm2-tiny renders LFM2's chat template, whose end-of-turn stop is `<|im_end|>`: the text of its
// end-of-generation token, which ends a native chunk as it ends the turn.
describe("streamIntervalMs with LFM2's chat template", () => {
  const tiny = models.find((m) => m.name === "lfm2-tiny");
  if (!tiny) throw new Error("lfm2-tiny is always generated");
  const engines = enginePair(tiny.path);

  it("streams a chat in native chunks despite the template's end-of-turn stop, with the same text", async () => {
    const params = {
      messages: [{ role: "user" as const, content: "Tell me about the sea." }],
      maxTokens: 40,
      temperature: 0,
    };
    const reference = await chunksDuring(() => collect(engines.tokenByToken.generate(params)));
    const streamed = await chunksDuring(() => collect(engines.bursts.generate(params)));
    expect(reference.chunkMs).toEqual([]);
    expect(streamed.chunkMs.length).toBeGreaterThan(0);
    expect(streamed.result.pieces).toBe(reference.result.pieces);
    expect(streamed.result.done.stats.generatedTokens).toBe(reference.result.done.stats.generatedTokens);
    // The same marker as a caller's own stop string, and a non-streamed chat (100 ms chunks).
    const own = await chunksDuring(() =>
      collect(engines.bursts.generate({ ...params, stop: ["<|im_end|>"] })),
    );
    expect(own.chunkMs.length).toBeGreaterThan(0);
    const whole = await chunksDuring(() =>
      collect(engines.tokenByToken.generate(params, undefined, { stream: false })),
    );
    expect(whole.chunkMs.length).toBeGreaterThan(0);
    expect(whole.result.text).toBe(reference.result.pieces);
  });

  it("streams token by token with a stop string that is ordinary text", async () => {
    const { chunkMs } = await chunksDuring(() =>
      collect(
        engines.bursts.generate({
          messages: [{ role: "user", content: "Hi" }],
          maxTokens: 24,
          temperature: 0,
          stop: ["<|im"],
        }),
      ),
    );
    expect(chunkMs).toEqual([]);
  });
});
