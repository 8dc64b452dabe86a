import { readdirSync, readFileSync } from "node:fs";
import { autoThreads } from "@sluice/core";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { promptOfTokens } from "../prompts.ts";
import { sdkTarget } from "../sdkTarget.ts";
import { median, percentile, timed } from "../stats.ts";
import { rawTarget } from "../targets.ts";
import { type Measurement, type Suite, TARGET_SHAPE, WrongResultError } from "../types.ts";

const MB = 1024 * 1024;
const CONCURRENT = 16;

/**
 * The plan's absolute targets on the LFM2-350M shape (Q8_0 synthetic, the
 * same bytes every run), measured the way the server serves: the SDK in
 * runner mode, one runner process, caches off. Runs on every tier CI uses.
 */
export const targetsSuite: Suite = {
  name: "targets",
  tiers: ["fast"],
  async run(ctx) {
    const modelPath = await ensureSynthModel({ preset: "lfm2-350m", type: "q8_0" });
    const tokenizer = await vocabOnly(modelPath);
    const prompt = await promptOfTokens(tokenizer, 64);
    const text = prompt;
    const raw = await rawTarget(modelPath, { contextSize: 1024, sequences: 1 });
    // The same thread count as the raw side (all physical cores). With "auto", the runner's
    // thread governor would count the raw runs interleaved in this process as another
    // process's load and drop a thread for the Sluice run that follows each of them.
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const threads = autoThreads(llama.cpuMathCores);
    const sluice = await sdkTarget(
      "runner",
      { modelPath, contextSize: 1024, sequences: 4, threads },
      ctx.injectDelayMs,
      // No deadline: "errors" counts failures of serving (a crash, QUEUE_FULL, a short
      // answer), not a busy CI machine's slowness, which the latency figures show.
      { requestTimeoutMs: 0 },
    );
    const out: Measurement[] = [];
    const m = (id: string, what: string, value: number, unit: string) =>
      out.push({ id, suite: "targets", what, value, unit, model: TARGET_SHAPE });
    try {
      // Right first: deterministic vectors of the model's width, greedy text of the asked length.
      const [a] = await sluice.embed([text]);
      const [b] = await sluice.embed([text]);
      if (!a || !b || a.length !== 1024 || !a.every(Number.isFinite) || a.some((x, i) => x !== b[i]))
        throw new WrongResultError("350M-shape embedding is not a finite, deterministic 1024-d vector");
      const first = await sluice.generate(prompt, 32);
      if (first.tokens !== 32) throw new WrongResultError(`asked for 32 tokens, got ${first.tokens}`);
      if ((await raw.generate(prompt, 32)).text !== first.text)
        throw new WrongResultError("Sluice's greedy text differs from raw node-llama-cpp's");
      // The API's usual call renders through the model's chat template; the first one
      // after load once blocked the runner past its heartbeat deadline on this shape.
      const [chatMs, chat] = await timed(() => sluice.chat!(prompt, 32));
      if (chat.tokens < 1) throw new WrongResultError("the first chat request generated nothing");
      m("chat.first.total", "first chat request after load, 32 new tokens, total", chatMs, "ms");

      const rounds = ctx.rounds ?? 12;
      const embedMs: number[] = [];
      const rawEmbedMs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        rawEmbedMs.push((await timed(() => raw.embed([text])))[0]);
        embedMs.push((await timed(() => sluice.embed([text])))[0]);
      }
      m(
        "embedding.p95.64tok.1client",
        "embedding p95, 64-token text, 1 client",
        percentile(embedMs, 95),
        "ms",
      );
      m(
        "embedding.p95.64tok.1client.raw",
        "raw node-llama-cpp, same embedding, p95",
        percentile(rawEmbedMs, 95),
        "ms",
      );
      m("embedding.p50.64tok.1client", "embedding p50, 64-token text, 1 client", median(embedMs), "ms");

      const genMs: number[] = [];
      const rawGenMs: number[] = [];
      for (let i = 0; i < Math.max(3, Math.ceil(rounds / 3)); i++) {
        rawGenMs.push((await timed(() => raw.generate(prompt, 32)))[0]);
        const [ms, r] = await timed(() => sluice.generate(prompt, 32));
        if (r.text !== first.text) throw new WrongResultError("greedy generation changed between rounds");
        genMs.push(ms);
      }
      m(
        "generation.typical.total",
        "typical generation (64-token prompt, 32 new), median",
        median(genMs),
        "ms",
      );
      m(
        "generation.typical.total.raw",
        "raw node-llama-cpp, same generation, median",
        median(rawGenMs),
        "ms",
      );

      let errors = 0;
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          timed(() => sluice.generate(`${prompt} ${i}`, 32)).then(
            ([ms, r]) => {
              latencies.push(ms);
              if (r.tokens !== 32) errors++;
            },
            (error: unknown) => {
              errors++;
              ctx.log(`targets: concurrent request failed: ${String(error)}`);
            },
          ),
        ),
      );
      const wall = performance.now() - started;
      m(
        "concurrency.10.errors",
        `errors among ${CONCURRENT} concurrent requests (4 sequences)`,
        errors,
        "count",
      );
      m(
        "concurrency.16.p95",
        `request p95, ${CONCURRENT} concurrent, 32 new tokens`,
        percentile(latencies, 95),
        "ms",
      );
      m("concurrency.16.wall", `all ${CONCURRENT} concurrent requests answered`, wall, "ms");

      const peak = runnerPeakRss();
      if (peak === undefined) throw new WrongResultError("no runner process found under this process");
      m(
        "memory.model.rss",
        "runner peak RSS (VmHWM), 350M shape, ctx 1024 x 4 sequences, after the runs",
        peak / MB,
        "MB",
      );
    } finally {
      await raw.close();
      await sluice.close();
      await tokenizer.dispose();
    }
    return out;
  },
};

/** The model's tokenizer alone (no weights), to build prompts of an exact token count. */
async function vocabOnly(modelPath: string) {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  return {
    tokenize: async (text: string) => model.tokenize(text) as number[],
    dispose: () => model.dispose(),
  };
}

/** Peak RSS of this process's runner child (a Sluice runner entry), from /proc. */
function runnerPeakRss(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("runnerMain")) continue;
      const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      if (hwm) return Number(hwm[1]) * 1024;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return undefined;
}
