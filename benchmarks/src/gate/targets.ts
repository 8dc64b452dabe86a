import { fork } from "node:child_process";
import { join } from "node:path";
import {
  autoThreads,
  type Engine,
  type EngineLoadOptions,
  type GenerateStats,
  LlamaEngineFactory,
  RunnerEngineFactory,
  withDecodeEnv,
} from "@sluice/core";
import { getLlama, type Llama, LlamaCompletion, type LlamaContext, type LlamaModel } from "node-llama-cpp";

/** What a suite drives: the same calls through raw node-llama-cpp or through Sluice. */
export interface Target {
  label: string;
  generate(prompt: string, maxTokens: number): Promise<{ text: string; tokens: number; ttftMs: number }>;
  /** A one-message chat through the model's chat template (Sluice targets only). */
  chat?(content: string, maxTokens: number): Promise<{ text: string; tokens: number; ttftMs: number }>;
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Raw node-llama-cpp, the baseline every overhead ratio divides by. */
export async function rawTarget(
  modelPath: string,
  opts: { contextSize: number; sequences: number; threads?: number | "auto" | undefined },
): Promise<Target> {
  const llama: Llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  const model: LlamaModel = await llama.loadModel({ modelPath });
  // A fixed count as given, else the count Sluice's "auto" starts with, so the comparison is like for like.
  const threads = typeof opts.threads === "number" ? opts.threads : autoThreads(llama.cpuMathCores);
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

/**
 * Raw node-llama-cpp in a child process with a runner's decode environment
 * (`withDecodeEnv`: one libuv thread, so every decode and sample of a stream
 * runs on the same warm thread). The runner path's baseline: against raw in
 * the benchmark's own process (Node's default pool of four) the runner reads
 * many times faster than llama.cpp, and a regression of that size would pass.
 */
export async function rawProcessTarget(
  modelPath: string,
  opts: { contextSize: number; sequences: number; threads?: number | "auto" | undefined },
): Promise<Target> {
  const child = fork(join(import.meta.dirname, "rawWorker.ts"), [], {
    execArgv: process.execArgv,
    env: withDecodeEnv(process.env),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code, signal) => reject(new Error(`raw worker exited (${code ?? signal})`))),
  );
  exited.catch(() => undefined);
  let next = 0;
  const call = <T>(req: Record<string, unknown>): Promise<T> => {
    const id = next++;
    const answer = new Promise<T>((resolve, reject) => {
      const onMessage = (msg: { id: number; result?: T; error?: string }) => {
        if (msg.id !== id) return;
        child.off("message", onMessage);
        if (msg.error !== undefined) reject(new Error(`raw worker: ${msg.error}`));
        else resolve(msg.result as T);
      };
      child.on("message", onMessage);
    });
    child.send({ ...req, id });
    return Promise.race([answer, exited]);
  };
  await call({ op: "open", modelPath, ...opts });
  return {
    label: "raw node-llama-cpp (runner decode env)",
    generate: (prompt, maxTokens) => call({ op: "generate", prompt, maxTokens }),
    embed: () => Promise.reject(new Error("rawProcessTarget generates only")),
    async close() {
      if (child.exitCode !== null) return;
      await call({ op: "close" }).catch(() => undefined);
      child.kill();
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
