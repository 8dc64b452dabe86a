// Per-image latency of the vision runner on the synthetic lfm2-vl-tiny pair
// (LFM2 text model + clip/lfm2 projector, random weights): a 256×256 and a
// 1024×768 image, each as PNG and JPEG, through the vision runner process
// (llama.node) exactly as the host uses it. Each configuration is first checked
// (the image became prompt tokens, the answer has the requested length), then
// timed. Latency = request sent → done event, with 8 generated tokens; the time
// to first token is mostly image preprocessing, encoding and prompt decode.
// Every timed request gets an image no earlier request had: llama.node keeps the
// last prompt (images included) in its cache, so a repeated image costs only
// its decode and hash ("repeat" column).
// Run: npx tsx benchmarks/src/vision/bench.ts
// Env: BENCH_THREADS (default 2), BENCH_RUNS (default 5), BENCH_TOKENS (default 8).
import { ok } from "node:assert/strict";
import { createVisionRunnerEngineFactory, type GenerateParams, type RunnerEngine } from "@sluice/core";
import { encodeJpeg, encodePng, ensureSynthVisionModel, testPattern } from "@sluice/gguf-synth";

const threads = Number(process.env.BENCH_THREADS ?? 2);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const tokens = Number(process.env.BENCH_TOKENS ?? 8);

function ask(data: Uint8Array | undefined, mimeType: string): GenerateParams {
  const image = data ? [{ type: "image" as const, data, mimeType }] : [];
  return {
    messages: [{ role: "user", content: [...image, { type: "text", text: "Describe the picture." }] }],
    maxTokens: tokens,
    temperature: 0,
  };
}

async function once(engine: RunnerEngine, params: GenerateParams) {
  const started = performance.now();
  for await (const e of engine.generate(params)) {
    if (e.type === "done") return { ms: performance.now() - started, stats: e.stats };
  }
  throw new Error("no done event");
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const pair = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", type: "f32" });
  const factory = createVisionRunnerEngineFactory();
  const loadStarted = performance.now();
  const engine = await factory.load({ ...pair, contextSize: 4096, threads, batchSize: 512 });
  const loadMs = performance.now() - loadStarted;
  const rows: Record<string, unknown>[] = [];
  try {
    const textOnly = await once(engine, ask(undefined, ""));
    for (const [width, height] of [
      [256, 256],
      [1024, 768],
    ] as const) {
      for (const [format, encode, mime] of [
        ["png", encodePng, "image/png"],
        ["jpeg", encodeJpeg, "image/jpeg"],
      ] as const) {
        let variant = 0;
        /** The pattern with a few pixels changed per call: same size and cost, a new image to the cache. */
        const fresh = (): Uint8Array => {
          const rgb = testPattern(width, height);
          variant++;
          for (let i = 0; i < 64; i++)
            rgb[(variant * 7919 + i * 104_729) % rgb.length] = (variant * 37 + i) & 0xff;
          return encode(width, height, rgb);
        };
        const bytes = fresh();
        // Correctness first (and warm-up): the image is in the prompt, the answer is complete.
        const check = await once(engine, ask(bytes, mime));
        const imageTokens = check.stats.promptTokens - textOnly.stats.promptTokens;
        ok(imageTokens >= 64, `expected image tokens in the prompt, got ${imageTokens}`);
        ok(
          check.stats.generatedTokens === tokens,
          `expected ${tokens} tokens, got ${check.stats.generatedTokens}`,
        );
        const total: number[] = [];
        const ttft: number[] = [];
        let last = bytes;
        for (let i = 0; i < runs; i++) {
          last = fresh();
          const r = await once(engine, ask(last, mime));
          total.push(r.ms);
          ttft.push(r.stats.timeToFirstTokenMs);
        }
        const repeat = await once(engine, ask(last, mime));
        rows.push({
          image: `${width}×${height} ${format}`,
          bytes: bytes.length,
          "image tokens": imageTokens,
          "median ms": +median(total).toFixed(1),
          "min ms": +Math.min(...total).toFixed(1),
          "max ms": +Math.max(...total).toFixed(1),
          "median TTFT ms": +median(ttft).toFixed(1),
          "repeat ms": +repeat.ms.toFixed(1),
        });
      }
    }
  } finally {
    await engine.dispose();
  }
  console.log(
    `vision runner, lfm2-vl-tiny f32, ${threads} threads, ${runs} runs each, ${tokens} generated tokens; runner start + load ${loadMs.toFixed(0)} ms`,
  );
  console.table(rows);
}

await main();
