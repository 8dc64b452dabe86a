import { promptOfTokens } from "../prompts.ts";
import { median, percentile, timed } from "../stats.ts";
import { engineTarget } from "../targets.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

const CONCURRENCY = [1, 4, 8, 16] as const;

export const generationSuite: Suite = {
  name: "generation",
  async run(ctx) {
    const out: Measurement[] = [];
    const m = (id: string, what: string, value: number, unit: string) =>
      out.push({ id, suite: "generation", what, value, unit });

    // Correct first: the trained fixture must tell its story through Sluice.
    if (ctx.storiesPath) {
      const stories = await engineTarget("in-process", {
        modelPath: ctx.storiesPath,
        contextSize: 256,
        sequences: 1,
      });
      const { text } = await stories.generate("Once upon a time", 24);
      await stories.close();
      if (!text.includes("there was"))
        throw new WrongResultError(`stories260K produced ${JSON.stringify(text)}`);
    }

    // One fixed thread. With "auto" the thread governor follows other processes' load (in
    // CI, whatever the previous suite left winding down), and on a model this small one
    // thread decodes several times faster than two (the binding builds a thread pool per
    // decode), so the 1-stream baseline swung with the governor: 0.55x to 2.4x scaling
    // from run to run. Batching across sequences is what this measures.
    const target = await engineTarget("in-process", {
      modelPath: ctx.modelPath,
      contextSize: 1024,
      sequences: 16,
      threads: 1,
    });
    try {
      const prompt = await promptOfTokens(target.engine, 64);
      const alone = await target.generate(prompt, 32);
      const together = await Promise.all([0, 1, 2, 3].map(() => target.generate(prompt, 32)));
      if (together.some((r) => r.text !== alone.text)) {
        throw new WrongResultError("concurrent greedy generations differ from the same request alone");
      }
      const rounds = ctx.rounds ?? (ctx.tier === "fast" ? 5 : 3);
      for (const newTokens of [32, 128]) {
        const totals: number[] = [];
        const ttfts: number[] = [];
        const rates: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const [ms, r] = await timed(() => target.generate(prompt, newTokens));
          totals.push(ms);
          ttfts.push(r.ttftMs);
          rates.push(r.tokens / ((ms - r.ttftMs) / 1000));
        }
        m(
          `generation.ttft.${newTokens}`,
          `time to first token, 64-token prompt, ${newTokens} new`,
          median(ttfts),
          "ms",
        );
        m(
          `generation.tps.${newTokens}`,
          `decode tokens/s, 1 stream, ${newTokens} new`,
          median(rates),
          "tok/s",
        );
        m(
          `generation.total.${newTokens}`,
          `total time, 64-token prompt, ${newTokens} new`,
          median(totals),
          "ms",
        );
        if (newTokens === 32)
          m(
            "generation.typical.total",
            "typical generation (64-token prompt, 32 new), median",
            median(totals),
            "ms",
          );
      }

      let errors = 0;
      const aggregate = new Map<number, number>();
      for (const c of CONCURRENCY) {
        const latencies: number[] = [];
        let tokens = 0;
        const start = performance.now();
        await Promise.all(
          Array.from({ length: c }, () =>
            timed(() => target.generate(prompt, 32)).then(
              ([ms, r]) => {
                latencies.push(ms);
                tokens += r.tokens;
              },
              () => {
                errors++;
              },
            ),
          ),
        );
        const seconds = (performance.now() - start) / 1000;
        aggregate.set(c, tokens / seconds);
        m(
          `generation.aggregate.c${c}`,
          `aggregate generated tokens/s, ${c} concurrent`,
          tokens / seconds,
          "tok/s",
        );
        m(
          `generation.p95.c${c}`,
          `request p95, ${c} concurrent, 32 new tokens`,
          percentile(latencies, 95),
          "ms",
        );
      }
      m(
        "generation.scaling.8x",
        "aggregate tokens/s at 8 concurrent / 1 stream",
        aggregate.get(8)! / aggregate.get(1)!,
        "x",
      );
      m("concurrency.10.errors", "errors among 16 concurrent requests", errors, "count");
    } finally {
      await target.close();
    }
    return out;
  },
};
