// How co-batched sequences reach llama.cpp, on the real (patched) binding:
// every step decodes all the sequences in flight in one batch, and work queued
// on the context between steps (clearing a kept sequence for a new request)
// does not wait for the sequences in flight. (That llama.cpp then decodes the
// batch as one micro-batch, whatever the sequence ids: unifiedKv.test.ts.)
import { ensureSynthModel } from "@sluice/gguf-synth";
import { getLlama, type LlamaContext, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LlamaEngine, LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { TEST_LOAD } from "./models.ts";

type NativeFn = (...args: unknown[]) => unknown;

describe("the context's batch dispatch", () => {
  let model: LlamaModel;
  let context: LlamaContext;
  /** Sequence ids of each batch. */
  const batches: number[][] = [];

  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }),
    });
    context = await model.createContext({ contextSize: 256, sequences: 4, threads: 1, batchSize: 256 });
    const native = (context as unknown as { _ctx: Record<string, NativeFn> })._ctx;
    const init = native.initBatch?.bind(native) as NativeFn;
    const add = native.addToBatch?.bind(native) as NativeFn;
    Object.defineProperty(native, "initBatch", {
      configurable: true,
      value: (...args: unknown[]) => {
        batches.push([]);
        return init(...args);
      },
    });
    Object.defineProperty(native, "addToBatch", {
      configurable: true,
      value: (...args: unknown[]) => {
        batches.at(-1)?.push(args[0] as number);
        return add(...args);
      },
    });
  });
  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  it("decodes every sequence in flight in one batch per step", async () => {
    const sequences = [0, 1, 2, 3].map(() => context.getSequence());
    const steps = 24;
    const run = async (index: number): Promise<number> => {
      const sequence = sequences[index];
      if (!sequence) throw new Error(`no sequence ${index}`);
      let generated = 0;
      const prompt = model.tokenize(`The quick brown fox ${index}`) as Token[];
      for await (const _ of sequence.evaluate(prompt, { temperature: 0 })) if (++generated >= steps) break;
      return generated;
    };
    // Sequences 2 and 3 start first, one event-loop turn before 0 and 1.
    const late = new Promise<number[]>((resolve) =>
      setImmediate(() => resolve(Promise.all([run(0), run(1)]))),
    );
    const generated = [...(await Promise.all([run(2), run(3)])), ...(await late)];
    expect(generated).toEqual([steps, steps, steps, steps]);
    // Each sequence's first token comes from its prompt's decode and its last is not
    // evaluated: steps - 1 generation steps. In lockstep each is one batch of all four
    // sequences; a sequence left out of a batch costs a batch of its own, every step.
    const generation = batches.filter((b) => b.length > 0 && batches.indexOf(b) >= 2);
    expect(generation.filter((b) => b.length === 4).length).toBeGreaterThanOrEqual(steps - 3);
    expect(batches.length).toBeLessThanOrEqual(steps + 2);
  });
});

describe("sequence reuse while other sequences decode", () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    const path = await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" });
    engine = (await new LlamaEngineFactory().load({
      modelPath: path,
      ...TEST_LOAD,
      sequences: 3,
    })) as LlamaEngine;
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("starts a request that must clear a kept sequence while two others keep decoding", async () => {
    // Three kept sequences.
    for (const word of ["alpha", "bravo", "charlie"]) {
      for await (const _ of engine.generate({ prompt: `kept ${word}`, maxTokens: 2, temperature: 0 }));
    }
    expect(engine.sequenceReuse().kept).toBe(3);
    const events: string[] = [];
    const run = async (name: string, maxTokens: number): Promise<number> => {
      let tokens = 0;
      for await (const event of engine.generate({ prompt: `new ${name}`, maxTokens, temperature: 0 })) {
        if (event.type === "token" && tokens++ === 0) events.push(`${name} first`);
        if (event.type === "done") {
          events.push(`${name} done`);
          return event.stats.generatedTokens;
        }
      }
      return 0;
    };
    const long = [run("a", 96), run("b", 96)];
    // Once both decode, a third request needs the last kept sequence cleared.
    while (!(events.includes("a first") && events.includes("b first")))
      await new Promise((r) => setImmediate(r));
    const third = await run("c", 4);
    const [a, b] = await Promise.all(long);
    expect(third).toBe(4);
    // Both long requests ran to their limit, so they were decoding the whole time.
    expect([a, b]).toEqual([96, 96]);
    expect(events.indexOf("c done"), events.join(", ")).toBeLessThan(events.indexOf("a done"));
    expect(events.indexOf("c done"), events.join(", ")).toBeLessThan(events.indexOf("b done"));
    expect(engine.sequenceReuse().evictions).toBeGreaterThanOrEqual(3);
  });
});
