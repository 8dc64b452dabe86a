import { guardOutputReorder } from "@sluice/core";
import {
  getLlama,
  LlamaCompletion,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import { median, timed } from "../stats.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

const STREAMS = 8;
const NEW_TOKENS = 32;
const PROMPTS = Array.from(
  { length: STREAMS },
  (_, i) =>
    `${["The quick brown fox", "hello world", "a cache remembers", "sluice gates open"][i % 4]} ${["and", "the", "she", "he"][i % 4]} ${i}`,
);

/**
 * What Sluice's output-reorder guard (core, runtime/llama/outputReorderGuard.ts)
 * costs and what it prevents. Two contexts on one model, each with eight
 * sequences decoding together, one guarded and one as node-llama-cpp leaves
 * it; rounds alternate between them. Every output is compared with the same
 * prompt generated alone: the guarded context must match every time, and the
 * unguarded one's mismatches are counted to show the bug in the same run.
 */
export const cobatchSuite: Suite = {
  name: "cobatch",
  async run(ctx) {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model: LlamaModel = await llama.loadModel({ modelPath: ctx.modelPath });
    const options = { contextSize: 256 * STREAMS, sequences: STREAMS, threads: 1, batchSize: 512 };
    const guarded = await model.createContext(options);
    const unguarded = await model.createContext(options);
    if (!guardOutputReorder(guarded)) throw new Error("the output-reorder guard did not install");

    // Each context's sequences, taken once and cleared after every use.
    const sequences = new Map(
      [guarded, unguarded].map((c) => [c, PROMPTS.map(() => c.getSequence())] as const),
    );
    const generate = async (sequence: LlamaContextSequence, prompt: string): Promise<string> => {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      try {
        return await completion.generateCompletion(prompt, { maxTokens: NEW_TOKENS, temperature: 0 });
      } finally {
        completion.dispose({ disposeSequence: false });
        await sequence.clearHistory();
      }
    };
    const together = (context: LlamaContext): Promise<string[]> =>
      Promise.all(PROMPTS.map((p, k) => generate(sequences.get(context)![k]!, p)));

    try {
      const solo: string[] = [];
      for (const p of PROMPTS) solo.push(await generate(sequences.get(guarded)![0]!, p));
      const times = { guarded: [] as number[], unguarded: [] as number[] };
      const divergent = { guarded: 0, unguarded: 0 };
      const rounds = ctx.rounds ?? (ctx.tier === "fast" ? 20 : 6);
      for (let i = 0; i < rounds; i++) {
        // Alternate which context goes first so that neither always runs on a warmer machine.
        const order = i % 2 === 0 ? (["guarded", "unguarded"] as const) : (["unguarded", "guarded"] as const);
        for (const which of order) {
          const [ms, texts] = await timed(() => together(which === "guarded" ? guarded : unguarded));
          times[which].push(ms);
          divergent[which] += texts.filter((t, k) => t !== solo[k]).length;
        }
      }
      ctx.log(
        `cobatch: ${rounds} rounds of ${STREAMS} streams; outputs unlike solo: guarded ${divergent.guarded}, unguarded ${divergent.unguarded}`,
      );
      if (divergent.guarded > 0)
        throw new WrongResultError(
          `${divergent.guarded} co-batched outputs of the guarded context differ from the same prompt alone`,
        );
      const out: Measurement[] = [
        {
          id: "cobatch.guard.ratio",
          suite: "cobatch",
          what: `guarded / unguarded time, ${STREAMS} co-batched streams of ${NEW_TOKENS} tokens (median of ${rounds})`,
          value: median(times.guarded) / median(times.unguarded),
          unit: "x",
        },
        {
          id: "cobatch.divergent.unguarded",
          suite: "cobatch",
          what: `co-batched outputs unlike solo without the guard (of ${rounds * STREAMS})`,
          value: divergent.unguarded,
          unit: "count",
        },
      ];
      return out;
    } finally {
      await unguarded.dispose();
      await guarded.dispose();
      await model.dispose();
    }
  },
};
