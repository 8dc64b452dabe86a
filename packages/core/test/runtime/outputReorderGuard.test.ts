// The guard's contract, on the real binding: after each decode of several
// sequences, the first sampling finishes before any other starts (it applies
// llama.cpp's pending output reorder), and the rest may run together.
import { ensureSynthModel } from "@sluice/gguf-synth";
import { getLlama, type LlamaContext, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardOutputReorder, isOutputReorderGuarded } from "../../src/runtime/llama/outputReorderGuard.ts";

type NativeFn = (...args: unknown[]) => unknown;

describe("guardOutputReorder", () => {
  let model: LlamaModel;
  let context: LlamaContext;
  const events: string[] = [];

  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }),
    });
    context = await model.createContext({ contextSize: 256, sequences: 4, threads: 1, batchSize: 256 });
    // Record the native calls underneath the guard, as the binding sees them.
    const native = (context as unknown as { _ctx: Record<string, NativeFn> })._ctx;
    const decode = native.decodeBatch?.bind(native) as NativeFn;
    const sample = native.sampleToken?.bind(native) as NativeFn;
    let n = 0;
    Object.defineProperty(native, "decodeBatch", {
      configurable: true,
      value: (...args: unknown[]) => {
        events.push("decode");
        return decode(...args);
      },
    });
    Object.defineProperty(native, "sampleToken", {
      configurable: true,
      value: (...args: unknown[]) => {
        const id = n++;
        events.push(`start ${id}`);
        return Promise.resolve(sample(...args)).finally(() => events.push(`end ${id}`));
      },
    });
  });
  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  it("installs on the node-llama-cpp Sluice pins, once", () => {
    expect(isOutputReorderGuarded(context)).toBe(false);
    expect(guardOutputReorder(context)).toBe(true);
    expect(guardOutputReorder(context)).toBe(true);
    expect(isOutputReorderGuarded(context)).toBe(true);
  });

  it("lets the first sampling after each decode finish before the others of its batch start", async () => {
    const prompts = ["The quick brown fox", "hello world", "a cache remembers", "sluice gates open"];
    await Promise.all(
      prompts.map(async (prompt) => {
        const sequence = context.getSequence();
        try {
          let generated = 0;
          for await (const _ of sequence.evaluate(model.tokenize(prompt) as Token[], { temperature: 0 })) {
            if (++generated >= 8) break;
          }
        } finally {
          sequence.dispose();
        }
      }),
    );
    // Split the record at each decode; check every batch that sampled more than one sequence.
    const batches: string[][] = [];
    for (const e of events) {
      if (e === "decode") batches.push([]);
      else batches.at(-1)?.push(e);
    }
    const multi = batches.filter((b) => b.filter((e) => e.startsWith("start")).length > 1);
    // Four sequences decoding together: most batches sample several of them, or this proves nothing.
    expect(multi.length).toBeGreaterThanOrEqual(4);
    for (const batch of multi) {
      const first = (batch[0] as string).slice("start ".length);
      expect(batch[0]).toMatch(/^start /);
      expect(batch[1], `batch ${batch.join(", ")}`).toBe(`end ${first}`);
    }
  });
});
