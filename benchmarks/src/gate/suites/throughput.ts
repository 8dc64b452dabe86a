/**
 * Throughput of the runner path (the default deployment) on the same machine
 * in one run, as ratios: decode speed against llama.cpp's own llama-bench,
 * concurrency scaling, threads "auto" idle and under contention, a chat's
 * second turn with and without sequence reuse (embeddings batching: the
 * embedbatch suite, every tier).
 * Absolute figures on a shared machine are noisy; the ratios are taken side
 * by side so that both halves see the same load.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createSluice, type Sluice } from "@sluice/sdk";
import { findLlamaBench, type LlamaBench, llamaBatchedThroughput, llamaBenchDecode } from "../llamaBench.ts";
import { median } from "../stats.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const DECODE_TOKENS = 128;

interface Opts {
  threads: number | "auto";
  sequences: number;
  contextSize?: number;
  sequenceReuse?: boolean;
  streamIntervalMs?: number;
}

/** The streamIntervalMs the decode rows measure streamed bursts with. */
export const STREAM_INTERVAL_MS = 40;

async function open(modelPath: string, o: Opts): Promise<Sluice> {
  return createSluice({
    runtime: "runner",
    cache: false,
    models: [
      {
        id: "bench",
        source: modelPath,
        contextSize: o.contextSize ?? 1024,
        sequences: o.sequences,
        threads: o.threads,
        sequenceReuse: o.sequenceReuse ?? true,
        ...(o.streamIntervalMs !== undefined ? { streamIntervalMs: o.streamIntervalMs } : {}),
        embeddingContexts: 1,
        preload: true,
      },
    ],
    // No deadline: a 2-thread decode on a loaded 2-core machine can take minutes (spin barriers).
    limits: { maxQueue: 256, requestTimeoutMs: 0 },
  });
}

/** What a request asks for besides its tokens: nothing, a confidence score, or 5 logprobs a token. */
type Extra = "none" | "confidence" | "logprobs";

/**
 * Single-stream greedy decode tokens/s of a streamed request (SSE's path: a
 * message per token from the runner), median of `rounds`.
 */
async function streamedDecodeRate(sluice: Sluice, prompt: string, rounds: number): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let pieces = 0;
    for await (const e of sluice.generate({
      model: "bench",
      prompt: `${prompt} ${i}`,
      maxTokens: DECODE_TOKENS,
      temperature: 0,
    })) {
      if (e.type === "token") pieces++;
      else {
        if (pieces < 2) throw new WrongResultError(`a streamed request arrived in ${pieces} piece(s)`);
        rates.push((e.stats.generatedTokens - 1) / (e.stats.decodeMs / 1000));
      }
    }
  }
  return median(rates);
}

/** Single-stream greedy decode tokens/s (after the first token), median of `rounds`. */
async function decodeRate(
  sluice: Sluice,
  prompt: string,
  rounds: number,
  extra: Extra = "none",
): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await sluice.complete({
      model: "bench",
      prompt: `${prompt} ${i}`,
      maxTokens: DECODE_TOKENS,
      temperature: 0,
      ...(extra === "confidence" ? { confidence: true } : extra === "logprobs" ? { logprobs: 5 } : {}),
    });
    rates.push((r.stats.generatedTokens - 1) / (r.stats.decodeMs / 1000));
  }
  return median(rates);
}

/** Aggregate generated tokens/s of `c` concurrent requests. */
async function aggregate(sluice: Sluice, prompt: string, c: number): Promise<number> {
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: c }, (_, i) =>
      sluice.complete({ model: "bench", prompt: `${prompt} ${i}`, maxTokens: DECODE_TOKENS, temperature: 0 }),
    ),
  );
  const tokens = results.reduce((n, r) => n + r.stats.generatedTokens, 0);
  return tokens / ((performance.now() - start) / 1000);
}

/** `n` results of `f`, one after another. */
async function sequential(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

function burner(): ChildProcess {
  return spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
}

export const throughputSuite: Suite = {
  name: "throughput",
  // Needs the LFM2-350M shape and llama-bench (built from source on first use, 10+ minutes): full tier only.
  tiers: ["full"],
  async run(ctx) {
    const out: Measurement[] = [];
    const m = (id: string, what: string, value: number, unit: string) => {
      out.push({ id, suite: "throughput", what, value, unit });
      ctx.log(`${id} = ${value.toFixed(3)} ${unit}`);
    };
    const rounds = ctx.rounds ?? 3;
    const prompt = "Once upon a time, in a small town by the sea, there lived";
    const cores = Math.max(1, Math.min(8, availableParallelism()));

    // Scaling: aggregate tokens/s at 8 and 16 concurrent over 1 stream, 16 sequences;
    // medians of `rounds` single streams and of 2 runs at 8 and at 16.
    const many = await open(ctx.modelPath, { threads: "auto", sequences: 16 });
    let scaling8 = 0;
    let scaling16 = 0;
    try {
      // Warm first: the first request after a load pages the mapped weights in, and a cold
      // single stream inflated the ratio (a run measured 35.6 tok/s cold against ~54 warm).
      await aggregate(many, prompt, 1);
      const single = median(await sequential(rounds, () => aggregate(many, prompt, 1)));
      // The second run at 8 takes the 4 empty sequences and 4 evicted kept ones, ids that are
      // not consecutive (12-15 and 0-3): each run is logged, as a split step shows only there.
      const runs8 = await sequential(2, () => aggregate(many, prompt, 8));
      const runs16 = await sequential(2, () => aggregate(many, prompt, 16));
      ctx.log(
        `aggregate tok/s per run: 8 concurrent ${runs8.map((r) => r.toFixed(1)).join(", ")}; 16 concurrent ${runs16.map((r) => r.toFixed(1)).join(", ")}`,
      );
      const c8 = median(runs8);
      const c16 = median(runs16);
      scaling8 = c8 / single;
      scaling16 = c16 / single;
      m(
        "throughput.scaling.8x",
        `aggregate tok/s at 8 concurrent / 1 stream (${single.toFixed(1)} → ${c8.toFixed(1)})`,
        c8 / single,
        "x",
      );
      m(
        "throughput.scaling.16x",
        `aggregate tok/s at 16 concurrent / 1 stream (${c16.toFixed(1)})`,
        c16 / single,
        "x",
      );
    } finally {
      await many.close();
    }

    // chat.turn2.ttft: ~1,500-token history, reuse on vs off, same greedy output.
    const history = `${prompt} ${"and the story went on and on through the long summer days ".repeat(60)}`;
    const turn1 = [{ role: "user" as const, content: history }];
    const withReuse = await open(ctx.modelPath, { threads: "auto", sequences: 2, contextSize: 2048 });
    const noReuse = await open(ctx.modelPath, {
      threads: "auto",
      sequences: 2,
      contextSize: 2048,
      sequenceReuse: false,
    });
    try {
      const first = await withReuse.chat({ model: "bench", messages: turn1, maxTokens: 16, temperature: 0 });
      const turn2 = [
        ...turn1,
        // The answer as generated, as a client sends it back (the synthetic shapes answer blank lines).
        { role: "assistant" as const, content: first.text },
        { role: "user" as const, content: "What happened next?" },
      ];
      const reused = await withReuse.chat({ model: "bench", messages: turn2, maxTokens: 16, temperature: 0 });
      const fresh = await noReuse.chat({ model: "bench", messages: turn2, maxTokens: 16, temperature: 0 });
      if (reused.text !== fresh.text)
        throw new WrongResultError("turn 2 with sequence reuse differs from turn 2 without it");
      ctx.log(
        `chat turn 2: ${fresh.stats.promptTokens} prompt tokens, ${reused.stats.reusedPromptTokens ?? 0} reused`,
      );
      m(
        "chat.turn2.reused",
        "turn-2 prompt tokens taken from the kept sequence",
        reused.stats.reusedPromptTokens ?? 0,
        "tokens",
      );
      // Without a hit both turns evaluated everything and the ratio says nothing about reuse.
      if ((reused.stats.reusedPromptTokens ?? 0) === 0)
        ctx.log(
          `chat.turn2.ttft not measured: turn 2 reused nothing (turn 1 answered ${JSON.stringify(first.text.slice(0, 40))})`,
        );
      else
        m(
          "chat.turn2.ttft",
          `turn-2 TTFT with reuse / without (${reused.stats.timeToFirstTokenMs.toFixed(0)} / ${fresh.stats.timeToFirstTokenMs.toFixed(0)} ms)`,
          reused.stats.timeToFirstTokenMs / fresh.stats.timeToFirstTokenMs,
          "x",
        );
    } finally {
      await withReuse.close();
      await noReuse.close();
    }

    // decode.vs-llama-bench: same file, same threads, llama.cpp built from the bundled source.
    const bench = await findLlamaBench(root, process.env.SLUICE_BUILD_LLAMA_BENCH !== "0", ctx.log);
    const fixed = await open(ctx.modelPath, { threads: cores, sequences: 1 });
    let fixedIdle = 0;
    try {
      fixedIdle = await decodeRate(fixed, prompt, rounds);
      m("decode.sdk.tps", `Sluice SDK (runner) decode tok/s, 1 stream, ${cores} threads`, fixedIdle, "tok/s");
      if (bench) {
        // Pairs taken back to back (llama-bench, then the SDK), three times: the machine's load
        // drifts by more than the gap being measured, so each ratio compares neighbours and the
        // figure is the median ratio.
        // The streamed rates ride in the same rows: a streamed request pays a runner message per
        // token, and with streamIntervalMs it generates natively between bursts.
        const pairs: Array<{ tg: number; sdk: number; streamed: number; bursts: number }> = [];
        const bursts = await open(ctx.modelPath, {
          threads: cores,
          sequences: 1,
          streamIntervalMs: STREAM_INTERVAL_MS,
        });
        try {
          for (let i = 0; i < 3; i++) {
            const tg = await llamaBenchDecode(bench, ctx.modelPath, cores, DECODE_TOKENS, rounds);
            const sdk = await decodeRate(fixed, prompt, rounds);
            const streamed = await streamedDecodeRate(fixed, prompt, rounds);
            pairs.push({ tg, sdk, streamed, bursts: await streamedDecodeRate(bursts, prompt, rounds) });
          }
        } finally {
          await bursts.close();
        }
        ctx.log(
          `llama-bench ${bench.path}: llama.cpp ${bench.commit} (node-llama-cpp release ${bench.release}); rows (llama-bench / SDK / SDK streamed / SDK streamed in ${STREAM_INTERVAL_MS} ms bursts, tok/s): ${pairs.map((p) => `${p.tg.toFixed(1)} / ${p.sdk.toFixed(1)} / ${p.streamed.toFixed(1)} / ${p.bursts.toFixed(1)}`).join(", ")}`,
        );
        m(
          "decode.llama-bench.tps",
          `llama-bench tg${DECODE_TOKENS}, ${cores} threads, commit ${bench.commit} (median of 3)`,
          median(pairs.map((p) => p.tg)),
          "tok/s",
        );
        m(
          "decode.vs-llama-bench",
          "Sluice SDK (runner) decode / llama-bench tg, same file and threads: median of 3 back-to-back pairs",
          median(pairs.map((p) => p.sdk / p.tg)),
          "x",
        );
        m(
          "decode.stream.vs-llama-bench",
          "the same, streamed (a message per token from the runner): median of the same 3 triples",
          median(pairs.map((p) => p.streamed / p.tg)),
          "x",
        );
        m(
          "decode.stream-bursts.vs-llama-bench",
          `the same, streamed with streamIntervalMs ${STREAM_INTERVAL_MS} (native generation between bursts): median of the same 3 rows`,
          median(pairs.map((p) => p.bursts / p.tg)),
          "x",
        );
        // Greedy decoding keeps the whole vocabulary as candidates: what a confidence score (every
        // cascade attempt asks for one) and 5 logprobs a token cost, in back-to-back triples.
        const triples: Array<Record<Extra, number>> = [];
        for (let i = 0; i < 3; i++) {
          const none = await decodeRate(fixed, prompt, rounds);
          const confidence = await decodeRate(fixed, prompt, rounds, "confidence");
          triples.push({ none, confidence, logprobs: await decodeRate(fixed, prompt, rounds, "logprobs") });
        }
        const fmt = (k: Extra) => triples.map((t) => t[k].toFixed(1)).join(", ");
        m(
          "decode.confidence",
          `greedy decode with a confidence score / without, median of 3 back-to-back triples (tok/s without: ${fmt("none")}; with: ${fmt("confidence")})`,
          median(triples.map((t) => t.confidence / t.none)),
          "x",
        );
        m(
          "decode.logprobs",
          `greedy decode with 5 logprobs a token / without, same triples (tok/s: ${fmt("logprobs")})`,
          median(triples.map((t) => t.logprobs / t.none)),
          "x",
        );
        // llama.cpp's own scaling on this machine: the ceiling for Sluice's.
        const promptTokens = (await fixed.complete({ model: "bench", prompt: `${prompt} 0`, maxTokens: 1 }))
          .stats.promptTokens;
        const ref = await llamaBatchedThroughput(
          bench,
          ctx.modelPath,
          cores,
          promptTokens,
          DECODE_TOKENS,
          [1, 8, 16],
        );
        const [one, eight, sixteen] = [ref?.get(1), ref?.get(8), ref?.get(16)];
        if (one && eight && sixteen) {
          m(
            "throughput.llama.scaling.8x",
            `llama-batched-bench: tok/s at 8 sequences / 1 (${one.toFixed(1)} → ${eight.toFixed(1)}), same prompt and tokens`,
            eight / one,
            "x",
          );
          m(
            "throughput.llama.scaling.16x",
            `llama-batched-bench: tok/s at 16 sequences / 1 (${sixteen.toFixed(1)})`,
            sixteen / one,
            "x",
          );
          m(
            "throughput.scaling.8x.vs-llama",
            "Sluice's 8x scaling / llama.cpp's",
            scaling8 / (eight / one),
            "x",
          );
          m(
            "throughput.scaling.16x.vs-llama",
            "Sluice's 16x scaling / llama.cpp's",
            scaling16 / (sixteen / one),
            "x",
          );
        } else ctx.log("llama-batched-bench not available: llama.cpp's own scaling not measured");
      } else ctx.log("llama-bench not found and SLUICE_BUILD_LLAMA_BENCH=0: decode.vs-llama-bench skipped");
    } finally {
      await fixed.close();
    }

    // threads.auto: idle against the best fixed count, then with one CPU-bound competitor.
    const auto = await open(ctx.modelPath, { threads: "auto", sequences: 1 });
    try {
      const one = await open(ctx.modelPath, { threads: 1, sequences: 1 });
      const oneIdle = await decodeRate(one, prompt, rounds).finally(() => one.close());
      // Auto against every core fixed, in back-to-back pairs (as decode.vs-llama-bench): the
      // two run the same threads on an idle machine, so only neighbours can show a difference.
      const all = await open(ctx.modelPath, { threads: cores, sequences: 1 });
      const pairs: Array<{ fixed: number; auto: number }> = [];
      try {
        for (let i = 0; i < 3; i++) {
          const fixedRate = await decodeRate(all, prompt, rounds);
          pairs.push({ fixed: fixedRate, auto: await decodeRate(auto, prompt, rounds) });
        }
      } finally {
        await all.close();
      }
      m(
        "threads.auto.idle",
        `threads auto / best fixed, median of 3 back-to-back pairs (1: ${oneIdle.toFixed(1)} tok/s; ${cores} / auto: ${pairs.map((p) => `${p.fixed.toFixed(1)} / ${p.auto.toFixed(1)}`).join(", ")})`,
        median(pairs.map((p) => p.auto / Math.max(oneIdle, p.fixed))),
        "x",
      );
      // With one CPU-bound competitor, in back-to-back pairs (idle, then contended), three
      // times: the contended ratio compares neighbours, as the pairs above. llama.cpp's own
      // ceiling in the same pairs: llama-bench's best thread count contended / its best idle.
      const settle = () => new Promise((r) => setTimeout(r, 1500)); // the governor samples every 500 ms
      const llamaBest = async (b: LlamaBench) => {
        const rates: number[] = [];
        for (let t = 1; t <= cores; t++)
          rates.push(await llamaBenchDecode(b, ctx.modelPath, t, DECODE_TOKENS, 1));
        return rates;
      };
      const contended: Array<{ idle: number; busy: number; llamaIdle?: number[]; llamaBusy?: number[] }> = [];
      for (let i = 0; i < 3; i++) {
        await settle();
        const idle = await decodeRate(auto, prompt, rounds);
        const llamaIdle = bench ? await llamaBest(bench) : undefined;
        const competitor = burner();
        try {
          await settle();
          const busy = await decodeRate(auto, prompt, rounds);
          contended.push({ idle, busy, llamaIdle, llamaBusy: bench ? await llamaBest(bench) : undefined });
        } finally {
          competitor.kill("SIGKILL");
        }
      }
      const autoContended = median(contended.map((p) => p.busy / p.idle));
      m(
        "threads.auto.contended",
        `threads auto with one CPU-bound competitor / auto idle, median of 3 back-to-back pairs (idle / contended tok/s: ${contended.map((p) => `${p.idle.toFixed(1)} / ${p.busy.toFixed(1)}`).join(", ")})`,
        autoContended,
        "x",
      );
      if (bench) {
        const fmt = (r: number[] | undefined) => (r ?? []).map((v) => v.toFixed(1)).join("/");
        const ceiling = median(
          contended.map((p) => Math.max(...(p.llamaBusy ?? [])) / Math.max(...(p.llamaIdle ?? []))),
        );
        m(
          "threads.llama.contended",
          `llama-bench's best thread count with the same competitor / its best idle, same pairs (tok/s at 1/…/${cores} threads, idle; contended: ${contended.map((p) => `${fmt(p.llamaIdle)}; ${fmt(p.llamaBusy)}`).join(" | ")})`,
          ceiling,
          "x",
        );
        m(
          "threads.auto.contended.vs-llama",
          "Sluice's contended ratio / llama.cpp's",
          autoContended / ceiling,
          "x",
        );
      }
    } finally {
      await auto.close();
    }

    return out;
  },
};
