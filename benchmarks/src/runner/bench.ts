// Per-token overhead of runner mode (model in a child process, tokens streamed
// over IPC) against the in-process engine, on the LFM2-350M shape. Both engines
// are loaded side by side and requests alternate between them (ABBA order), so
// machine noise hits both alike. Greedy outputs must match before anything is
// timed. Figures are measured at the consumer, so IPC is included.
// Run: cd benchmarks && npx tsx src/runner/bench.ts
// Env: BENCH_THREADS (default 2), BENCH_TOKENS (default 64), BENCH_ROUNDS (default 8), BENCH_PRESET (default lfm2-350m).
import { equal } from "node:assert/strict";
import { type Engine, type EngineLoadOptions, LlamaEngineFactory, RunnerEngineFactory } from "@sluice/core";
import { ensureSynthModel, type PresetName } from "@sluice/gguf-synth";

const threads = Number(process.env.BENCH_THREADS ?? 2);
const tokens = Number(process.env.BENCH_TOKENS ?? 64);
const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
const preset = (process.env.BENCH_PRESET ?? "lfm2-350m") as PresetName;

interface Sample {
  text: string;
  /** Consumer-side milliseconds per token after the first (decode + streaming). */
  perTokenMs: number;
  /** Consumer-side milliseconds from the call to the first token. */
  ttftMs: number;
  /** The same per-token figure as the engine measured it (in the runner, before IPC). */
  enginePerTokenMs: number;
}

async function run(engine: Engine, prompt: string): Promise<Sample> {
  const started = performance.now();
  let first = 0;
  let last = 0;
  let count = 0;
  let text = "";
  let engineMs = 0;
  for await (const event of engine.generate({ prompt, maxTokens: tokens, temperature: 0 })) {
    if (event.type === "token") {
      last = performance.now();
      if (count++ === 0) first = last;
    } else {
      text = event.text;
      engineMs = event.stats.decodeMs / (event.stats.generatedTokens - 1);
    }
  }
  equal(count, tokens, `expected ${tokens} tokens, got ${count}`);
  return {
    text,
    perTokenMs: (last - first) / (count - 1),
    ttftMs: first - started,
    enginePerTokenMs: engineMs,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const modelPath = await ensureSynthModel({ preset });
const load: EngineLoadOptions = { modelPath, contextSize: 512, sequences: 1, threads, embeddingContexts: 0 };
const inProcess = await new LlamaEngineFactory().load(load);
const runner = await new RunnerEngineFactory().load(load);
try {
  const prompt = "Once upon a time, in a small village by the sea,";
  // Correctness first: the same greedy text in both modes.
  const [a, b] = [await run(inProcess, prompt), await run(runner, prompt)];
  equal(b.text, a.text, "runner and in-process greedy outputs differ");

  const samples: Record<"in-process" | "runner", Sample[]> = { "in-process": [], runner: [] };
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? (["in-process", "runner"] as const) : (["runner", "in-process"] as const);
    const round: Partial<Record<"in-process" | "runner", Sample>> = {};
    for (const mode of order) {
      const sample = await run(mode === "runner" ? runner : inProcess, `${prompt} (${i})`);
      samples[mode].push(sample);
      round[mode] = sample;
    }
    const r = round.runner as Sample;
    const p = round["in-process"] as Sample;
    ratios.push(r.perTokenMs / p.perTokenMs);
    // Printed as it goes: on a busy machine a full run is long, and partial figures still count.
    console.log(
      `round ${i + 1}/${rounds}: in-process ${p.perTokenMs.toFixed(2)} ms/token, runner ${r.perTokenMs.toFixed(2)} ms/token, ratio ${(r.perTokenMs / p.perTokenMs).toFixed(3)}`,
    );
  }
  const rows = (["in-process", "runner"] as const).map((mode) => ({
    mode,
    requests: samples[mode].length,
    "median ms/token": +median(samples[mode].map((s) => s.perTokenMs)).toFixed(3),
    "median tok/s": +(1000 / median(samples[mode].map((s) => s.perTokenMs))).toFixed(1),
    "median TTFT ms": +median(samples[mode].map((s) => s.ttftMs)).toFixed(1),
    // What the consumer waits per token beyond the engine's own decode time: IPC and streaming.
    "median transport ms/token": +median(samples[mode].map((s) => s.perTokenMs - s.enginePerTokenMs)).toFixed(
      3,
    ),
  }));
  console.log(
    `runner vs in-process, ${preset}, ${threads} threads, ${tokens} tokens × ${rounds} interleaved rounds`,
  );
  console.table(rows);
  const overhead = (median(ratios) - 1) * 100;
  const transport =
    median(samples.runner.map((s) => (s.perTokenMs - s.enginePerTokenMs) / s.perTokenMs)) * 100;
  console.log(`runner transport share of each token's time (noise-free estimate): ${transport.toFixed(3)} %`);
  console.log(
    `per-token overhead of runner mode: ${overhead.toFixed(2)} % (median of per-round ratios; ` +
      `ratios ${ratios.map((r) => r.toFixed(3)).join(", ")})`,
  );
} finally {
  await runner.dispose();
  await inProcess.dispose();
}
