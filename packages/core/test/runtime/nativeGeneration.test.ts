// The patched binding's native generation chunks (node-llama-cpp's `nativeGeneration`
// evaluate option, AddonContext::GenerateTokens), on the real binding: a lone sequence
// generates the same tokens, with the same confidences and top probabilities, as the
// dispatched path; the sequence's state holds exactly what was decoded; another sequence
// starting mid-generation ends the chunk and is batched with it; an abort ends it.
import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSharedLlama } from "../../src/runtime/llama/sharedLlama.ts";

type NativeFn = (...args: unknown[]) => unknown;

interface Step {
  token: Token;
  confidence?: number;
  probabilities?: Map<Token, number>;
}

const models: Array<{ name: string; path: string; prompt: string }> = [];
const stories = requireModelFixture("stories260K.gguf");
if (stories) models.push({ name: "stories260K", path: stories, prompt: "Once upon a time" });
models.push({
  name: "lfm2-tiny",
  path: await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" }),
  prompt: "The quick brown fox",
});

describe.each(models)("native generation chunks on $name", (m) => {
  let model: LlamaModel;
  let context: LlamaContext;
  /** Calls of the native chunk and the steps each decoded. */
  const chunks: number[] = [];
  let decodes = 0;

  beforeAll(async () => {
    const llama = await getSharedLlama();
    model = await llama.loadModel({ modelPath: m.path });
    context = await model.createContext({ contextSize: 256, sequences: 2, threads: 1, batchSize: 256 });
    const native = (context as unknown as { _ctx: Record<string, NativeFn> })._ctx;
    const generate = native.generateTokens?.bind(native) as NativeFn;
    const decode = native.decodeBatch?.bind(native) as NativeFn;
    expect(typeof generate).toBe("function");
    Object.defineProperty(native, "generateTokens", {
      configurable: true,
      value: async (...args: unknown[]) => {
        const result = (await generate(...args)) as [Token[], number];
        chunks.push(result[1]);
        return result;
      },
    });
    Object.defineProperty(native, "decodeBatch", {
      configurable: true,
      value: (...args: unknown[]) => {
        decodes++;
        return decode(...args);
      },
    });
  });
  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  async function run(
    sequence: LlamaContextSequence,
    options: {
      native: boolean;
      maxTokens: number;
      temperature?: number;
      seed?: number;
      signal?: AbortSignal;
    },
    metadata: { confidence?: boolean; topProbabilities?: number } = {},
    onStep?: (i: number) => void | Promise<void>,
  ): Promise<Step[]> {
    await sequence.clearHistory();
    const steps: Step[] = [];
    const iterator = sequence.evaluateWithMetadata(
      model.tokenize(m.prompt),
      {
        confidence: metadata.confidence === true,
        ...(metadata.topProbabilities
          ? { probabilities: true, topProbabilities: metadata.topProbabilities }
          : {}),
      } as { confidence: boolean },
      {
        temperature: options.temperature ?? 0,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.native
          ? {
              nativeGeneration: {
                maxTokens: options.maxTokens,
                ...(options.signal ? { signal: options.signal } : {}),
              },
            }
          : {}),
      },
    );
    try {
      for await (const value of iterator) {
        const v = value as Step;
        steps.push({ token: v.token, confidence: v.confidence, probabilities: v.probabilities });
        await onStep?.(steps.length);
        if (steps.length >= options.maxTokens || options.signal?.aborted) break;
      }
    } finally {
      await iterator.return(undefined);
    }
    return steps;
  }

  it("generates a lone sequence's tokens in chunks, as the dispatched path does, and decodes them all", async () => {
    const sequence = context.getSequence();
    try {
      for (const sampling of [{ temperature: 0 }, { temperature: 0.9, seed: 7 }]) {
        const dispatched = await run(sequence, { native: false, maxTokens: 40, ...sampling });
        const dispatchedState = sequence.contextTokens;
        chunks.length = 0;
        decodes = 0;
        const native = await run(sequence, { native: true, maxTokens: 40, ...sampling });
        expect(native.map((s) => s.token)).toEqual(dispatched.map((s) => s.token));
        // The prompt went through the dispatcher; every later token was decoded in a chunk.
        expect(decodes).toBe(1);
        expect(chunks.length).toBeGreaterThan(0);
        expect(chunks.reduce((a, b) => a + b, 0)).toBe(native.length - 1);
        // The state holds the prompt and every token but the last, as after the dispatched run.
        expect(sequence.contextTokens).toEqual(dispatchedState);
        expect(sequence.nextTokenIndex).toBe(dispatchedState.length);
      }
    } finally {
      sequence.dispose();
    }
  });

  it("returns the same confidences and top probabilities a step as the dispatched path", async () => {
    const sequence = context.getSequence();
    try {
      const metadata = { confidence: true, topProbabilities: 3 };
      const dispatched = await run(sequence, { native: false, maxTokens: 24 }, metadata);
      chunks.length = 0;
      const native = await run(sequence, { native: true, maxTokens: 24 }, metadata);
      expect(chunks.length).toBeGreaterThan(0);
      expect(native.length).toBe(dispatched.length);
      for (const [i, step] of native.entries()) {
        const reference = dispatched[i] as Step;
        expect(step.token).toBe(reference.token);
        expect(step.confidence).toBeCloseTo(reference.confidence as number, 6);
        expect([...(step.probabilities ?? [])].map(([t]) => t)).toEqual(
          [...(reference.probabilities ?? [])].map(([t]) => t),
        );
      }
    } finally {
      sequence.dispose();
    }
  });

  it("ends a chunk when another sequence starts, and batches the two as before", async () => {
    const first = context.getSequence();
    const second = context.getSequence();
    try {
      const soloFirst = await run(first, { native: false, maxTokens: 80 });
      const soloSecond = await run(second, { native: false, maxTokens: 10 });
      chunks.length = 0;
      let firstSteps = 0;
      let firstStepsWhenSecondEnded = -1;
      let started: Promise<Step[]> | undefined;
      const together = await run(first, { native: true, maxTokens: 80 }, {}, (i) => {
        firstSteps = i;
        // The second sequence starts as the first's chunks begin.
        if (i === 1)
          started = run(second, { native: false, maxTokens: 10 }).then((steps) => {
            firstStepsWhenSecondEnded = firstSteps;
            return steps;
          });
      });
      const secondSteps = await (started as Promise<Step[]>);
      expect(together.map((s) => s.token)).toEqual(soloFirst.map((s) => s.token));
      expect(secondSteps.map((s) => s.token)).toEqual(soloSecond.map((s) => s.token));
      // A chunk that went on alone would have generated all 79 of the first's remaining tokens
      // while the second waited for the context: the second would end after the first. It ended
      // first, its 10 steps taken beside the first's.
      expect(chunks.length).toBeGreaterThan(0);
      expect(firstStepsWhenSecondEnded).toBeGreaterThan(0);
      expect(firstStepsWhenSecondEnded).toBeLessThan(80);
    } finally {
      first.dispose();
      second.dispose();
    }
  });

  it("ends a chunk when another context of the process queues a decode", async () => {
    // An embedding, or a second model in the same process, decodes on the same decode thread.
    const other = await model.createContext({ contextSize: 64, sequences: 1, threads: 1, batchSize: 64 });
    const otherNative = (other as unknown as { _ctx: Record<string, NativeFn> })._ctx;
    const sequence = context.getSequence();
    try {
      await sequence.clearHistory();
      const iterator = sequence.evaluateWithMetadata(
        model.tokenize(m.prompt),
        {},
        // No time limit: only the other context's decode can end this chunk before its 200 tokens.
        { temperature: 0, nativeGeneration: { maxTokens: 200, chunkMs: 1e9 } },
      );
      await iterator.next();
      const native = (context as unknown as { _ctx: Record<string, NativeFn> })._ctx;
      const spied = native.generateTokens as NativeFn;
      let otherDecode: Promise<unknown> | undefined;
      let otherFirst = false;
      let chunkDone = false;
      let lastToken: Token | undefined;
      // Queue the other context's decode right behind the chunk.
      Object.defineProperty(native, "generateTokens", {
        configurable: true,
        value: (...args: unknown[]) => {
          const chunk = (spied(...args) as Promise<[Token[]]>)
            .then((result) => {
              lastToken = result[0].at(-1);
              return result;
            })
            .finally(() => {
              chunkDone = true;
            });
          const { initBatch, addToBatch, decodeBatch } = otherNative as Record<string, NativeFn>;
          (initBatch as NativeFn).call(otherNative, 1);
          (addToBatch as NativeFn).call(
            otherNative,
            0,
            0,
            Uint32Array.of(model.tokenize(m.prompt)[0] as number),
            Uint32Array.of(0),
          );
          otherDecode = ((decodeBatch as NativeFn).call(otherNative) as Promise<unknown>).then(() => {
            otherFirst = !chunkDone;
          });
          return chunk;
        },
      });
      chunks.length = 0;
      try {
        await iterator.next();
      } finally {
        Object.defineProperty(native, "generateTokens", { configurable: true, value: spied });
        await iterator.return(undefined);
      }
      await otherDecode;
      expect(chunks.length).toBe(1);
      // Either the decode took the decode thread first (in-process, two pool threads race for
      // it) and the chunk ran after it, alone; or the chunk started first and ended early, at the
      // step after the decode began to wait. Which step that is depends on the OS: this test's
      // thread queues the decode right after the chunk, but CI21, on a loaded machine, saw it
      // queued 26 steps into the chunk, which then ended at 27. So the promise checked is the
      // early end: fewer than the chunk's 200 tokens, and not at an end of generation (neither
      // model reaches one within 230 greedy tokens of its prompt). A chunk that ignored the
      // waiting decode would run all 200, then the decode.
      if (!otherFirst) {
        expect(chunks[0]).toBeLessThan(200);
        expect(model.isEogToken(lastToken)).toBe(false);
      }
    } finally {
      sequence.dispose();
      await other.dispose();
    }
  });

  it("takes one step when the caller's signal aborted before the chunk started", async () => {
    const sequence = context.getSequence();
    try {
      const controller = new AbortController();
      chunks.length = 0;
      await sequence.clearHistory();
      const iterator = sequence.evaluateWithMetadata(
        model.tokenize(m.prompt),
        {},
        // A chunk that would otherwise run to its 200 tokens: no time limit to end it.
        { temperature: 0, nativeGeneration: { maxTokens: 200, chunkMs: 1e9, signal: controller.signal } },
      );
      await iterator.next(); // the prompt's token, dispatched
      const step = iterator.next(); // the first chunk starts
      controller.abort();
      await step;
      await iterator.return(undefined);
      expect(chunks).toEqual([1]);
      // The sequence holds exactly what was decoded: it goes on from there.
      expect(sequence.nextTokenIndex).toBe(sequence.contextTokens.length);
    } finally {
      sequence.dispose();
    }
  });
});
