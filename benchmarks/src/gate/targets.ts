import {
  autoThreads,
  type Engine,
  type EngineLoadOptions,
  type GenerateStats,
  LlamaEngineFactory,
  RunnerEngineFactory,
} from "@sluice/core";
import { getLlama, type Llama, LlamaCompletion, type LlamaContext, type LlamaModel } from "node-llama-cpp";

/** What a suite drives: the same calls through raw node-llama-cpp or through Sluice. */
export interface Target {
  label: string;
  generate(prompt: string, maxTokens: number): Promise<{ text: string; tokens: number; ttftMs: number }>;
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Raw node-llama-cpp, the baseline every overhead ratio divides by. */
export async function rawTarget(
  modelPath: string,
  opts: { contextSize: number; sequences: number },
): Promise<Target> {
  const llama: Llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  const model: LlamaModel = await llama.loadModel({ modelPath });
  // The same thread count Sluice's "auto" picks, so the comparison is like for like.
  const threads = autoThreads(llama.cpuMathCores);
  const context: LlamaContext = await model.createContext({
    contextSize: opts.contextSize,
    sequences: opts.sequences,
    threads,
  });
  const embedding = await model.createEmbeddingContext({ contextSize: opts.contextSize, threads });
  return {
    label: "raw node-llama-cpp",
    async generate(prompt, maxTokens) {
      const sequence = context.getSequence();
      try {
        const completion = new LlamaCompletion({ contextSequence: sequence });
        const start = performance.now();
        let first = 0;
        let tokens = 0;
        const text = await completion.generateCompletion(prompt, {
          maxTokens,
          temperature: 0,
          onToken: (t) => {
            if (tokens === 0) first = performance.now() - start;
            tokens += t.length;
          },
        });
        return { text, tokens, ttftMs: first };
      } finally {
        sequence.dispose();
      }
    },
    async embed(texts) {
      const out: Float32Array[] = [];
      for (const t of texts) out.push(Float32Array.from((await embedding.getEmbeddingFor(t)).vector));
      return out;
    },
    async close() {
      await embedding.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

/** Sluice's engine port directly (in-process adapter or runner process). */
export async function engineTarget(
  kind: "in-process" | "runner",
  load: EngineLoadOptions,
): Promise<Target & { engine: Engine }> {
  const factory = kind === "in-process" ? new LlamaEngineFactory() : new RunnerEngineFactory();
  const engine = await factory.load({ threads: "auto", ...load });
  return {
    label: `Sluice engine (${kind})`,
    engine,
    async generate(prompt, maxTokens) {
      let stats: GenerateStats | undefined;
      let text = "";
      for await (const ev of engine.generate({ prompt, maxTokens, temperature: 0 })) {
        if (ev.type === "done") {
          stats = ev.stats;
          text = ev.text;
        }
      }
      return { text, tokens: stats?.generatedTokens ?? 0, ttftMs: stats?.timeToFirstTokenMs ?? Number.NaN };
    },
    embed: (texts) => engine.embed(texts),
    close: () => engine.dispose(),
  };
}
