// The KV layout the patched binding gives llama.cpp: a context with several
// sequences keeps them in one KV buffer (kv_unified), so any set of sequences in
// flight decodes as one micro-batch; a one-sequence context keeps its own. With a
// buffer per sequence, llama.cpp cut every step at each break in consecutive
// sequence ids and read all the weights once per piece (the throughput suite's
// second run at 8 concurrent meets that case: its requests take ids 12-15 and 0-3).
import { ensureSynthModel } from "@sluice/gguf-synth";
import { getLlama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type NativeFn = (...args: unknown[]) => unknown;

describe("the KV layout of a context", () => {
  let model: LlamaModel;
  /** Waiters for llama.cpp's next report of a context's KV layout. */
  const waiting: Array<(layout: string) => void> = [];
  /**
   * llama.cpp's report of the next context created. Its log reaches JS through a thread-safe
   * function, which the event loop may run after the context's creation has resolved: the
   * report is awaited, not read right after the creation.
   */
  const nextReport = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));

  beforeAll(async () => {
    const llama = await getLlama({
      gpu: false,
      build: "never",
      logLevel: LlamaLogLevel.info,
      logger: (_level, message) => {
        const m = /kv_unified\s*=\s*(\w+)/.exec(message);
        if (m?.[1]) waiting.shift()?.(m[1]);
      },
    });
    model = await llama.loadModel({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }),
    });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("is one buffer shared by the sequences of a co-batching context, and llama.cpp says so", async () => {
    const report = nextReport();
    const context = await model.createContext({ contextSize: 256, sequences: 4, threads: 1, batchSize: 512 });
    try {
      expect(await report).toBe("true");
      // Shared cells: one sequence can hold more than its share of them. With a buffer
      // per sequence, llama.cpp has no slot for sequence 0's token past its share, and fails.
      const native = (context as unknown as { _ctx: Record<string, NativeFn> })._ctx;
      const tokens = Uint32Array.from({ length: context.contextSize + 16 }, (_, i) => (i % 50) + 10);
      native.initBatch?.(tokens.length);
      native.addToBatch?.(0, 0, tokens, Uint32Array.of(tokens.length - 1));
      await expect(native.decodeBatch?.()).resolves.toBeUndefined();
    } finally {
      await context.dispose();
    }
  });

  it("is the context's own with one sequence", async () => {
    const report = nextReport();
    const context = await model.createContext({ contextSize: 64, sequences: 1, threads: 1 });
    try {
      expect(await report).toBe("false");
    } finally {
      await context.dispose();
    }
  });
});
