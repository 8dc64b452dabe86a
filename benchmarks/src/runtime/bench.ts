// Runtime throughput on the LFM2-350M shape (synthetic weights cost what real
// ones do): aggregate generation tokens/s at 1, 4 and 8 concurrent streams,
// and embedding throughput one-by-one vs batched (concurrent calls sharing a
// pool of 1 or 2 embedding contexts). Each configuration is first checked for
// correct results, then timed. Run: pnpm --filter @sluice/benchmarks bench:runtime
// Env: BENCH_THREADS (default 2), BENCH_TOKENS (default 32), BENCH_PRESET (default lfm2-350m),
// BENCH_REPEATS (default 3; the best run counts).
import { ok } from "node:assert/strict";
import { type Engine, LlamaEngineFactory } from "@sluice/core";
import { ensureSynthModel, type PresetName } from "@sluice/gguf-synth";

const threads = Number(process.env.BENCH_THREADS ?? 2);
const tokens = Number(process.env.BENCH_TOKENS ?? 32);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const preset = (process.env.BENCH_PRESET ?? "lfm2-350m") as PresetName;
const factory = new LlamaEngineFactory();
const prompts = Array.from(
  { length: 8 },
  (_, i) => `Request number ${i}: tell me a short story about the sea`,
);

interface Run {
  text: string;
  generated: number;
  prompt: number;
  /** ms from the batch start to the first token and to the end. */
  firstAt: number;
  endAt: number;
}

async function generate(engine: Engine, prompt: string, batchStart = performance.now()): Promise<Run> {
  const calledAt = performance.now() - batchStart;
  for await (const e of engine.generate({ prompt, maxTokens: tokens, temperature: 0 }))
    if (e.type === "done")
      return {
        text: e.text,
        generated: e.stats.generatedTokens,
        prompt: e.stats.promptTokens,
        firstAt: calledAt + e.stats.timeToFirstTokenMs,
        endAt: calledAt + e.stats.timeToFirstTokenMs + e.stats.decodeMs,
      };
  throw new Error("no done event");
}

/** Tokens after each stream's first, per second of the window in which all streams decode. */
function decodeRate(runs: Run[]): number {
  const from = Math.max(...runs.map((r) => r.firstAt));
  const to = Math.max(...runs.map((r) => r.endAt));
  return (runs.reduce((n, r) => n + r.generated - 1, 0) / (to - from)) * 1000;
}

async function generationRows(path: string) {
  const rows: Record<string, unknown>[] = [];
  const engine = await factory.load({
    modelPath: path,
    contextSize: 512,
    sequences: 8,
    threads,
    embeddingContexts: 0,
  });
  try {
    const solo: string[] = [];
    for (const p of prompts) solo.push((await generate(engine, p)).text);
    console.log("generation: solo references done");
    for (const concurrency of [1, 4, 8]) {
      const batch = prompts.slice(0, concurrency);
      // Correctness first: greedy outputs under batching vs the same request alone.
      const check = await Promise.all(batch.map((p) => generate(engine, p)));
      const same = check.filter((r, i) => r.text === solo[i]).length;
      // Best of REPEATS: the machine is shared, and the fastest run is the least disturbed one.
      let seconds = Number.POSITIVE_INFINITY;
      let generated = 0;
      let promptTokens = 0;
      let decodeTokS = 0;
      for (let r = 0; r < REPEATS; r++) {
        const started = performance.now();
        const results = await Promise.all(batch.map((p) => generate(engine, p, started)));
        seconds = Math.min(seconds, (performance.now() - started) / 1000);
        generated = results.reduce((n, x) => n + x.generated, 0);
        promptTokens = results.reduce((n, x) => n + x.prompt, 0);
        decodeTokS = Math.max(decodeTokS, decodeRate(results));
      }
      ok(generated === concurrency * tokens, `expected ${concurrency * tokens} tokens, got ${generated}`);
      console.log(
        `generation: ${concurrency} concurrent → ${(generated / seconds).toFixed(1)} tok/s aggregate`,
      );
      rows.push({
        concurrency,
        tokens: generated,
        seconds: +seconds.toFixed(2),
        "aggregate tok/s": +(generated / seconds).toFixed(1),
        "per-stream tok/s": +(generated / seconds / concurrency).toFixed(1),
        "prompt tokens": promptTokens,
        "decode-phase tok/s": +decodeTokS.toFixed(1),
        "greedy equal to solo": `${same}/${concurrency}`,
      });
    }
  } finally {
    await engine.dispose();
  }
  return rows;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

async function embeddingRows(path: string) {
  const texts = Array.from(
    { length: 16 },
    (_, i) => `Document ${i} about ships, harbours and the weather at sea.`,
  );
  const rows: Record<string, unknown>[] = [];
  let reference: Float32Array[] | undefined;
  for (const contexts of [1, 2]) {
    const engine = await factory.load({
      modelPath: path,
      contextSize: 256,
      sequences: 1,
      threads,
      embeddingContexts: contexts,
    });
    try {
      const oneByOne = async () => {
        const out: Float32Array[] = [];
        for (const t of texts) out.push(...(await engine.embed([t])));
        return out;
      };
      const batched = () => Promise.all(texts.map((t) => engine.embed([t]))).then((r) => r.flat());
      reference ??= await oneByOne();
      const check = await batched();
      const minCos = Math.min(...check.map((v, i) => cosine(v, reference?.[i] as Float32Array)));
      ok(minCos > 0.999, `batched embeddings differ from one-by-one (min cosine ${minCos})`);
      for (const [mode, run] of [
        ["one-by-one", oneByOne],
        ["batched (16 concurrent)", batched],
      ] as const) {
        if (contexts === 2 && mode === "one-by-one") continue;
        let seconds = Number.POSITIVE_INFINITY;
        for (let r = 0; r < REPEATS; r++) {
          const started = performance.now();
          await run();
          seconds = Math.min(seconds, (performance.now() - started) / 1000);
        }
        rows.push({
          mode,
          "embedding contexts": contexts,
          texts: texts.length,
          seconds: +seconds.toFixed(2),
          "texts/s": +(texts.length / seconds).toFixed(1),
          "min cosine vs one-by-one": +minCos.toFixed(6),
        });
      }
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

const genPath = await ensureSynthModel({ preset, type: "q8_0" });
const embPath = await ensureSynthModel({ preset, type: "q8_0", pooling: "mean" });
console.log(`runtime bench: ${preset} q8_0, threads ${threads}, ${tokens} tokens per stream`);
console.table(await generationRows(genPath));
console.table(await embeddingRows(embPath));
