import { median, timed } from "../stats.ts";
import { engineTarget } from "../targets.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

const MB = 1024 * 1024;

/** Runner RSS per loaded model and per extra sequence, and cold start (runner spawn → model ready). */
export const memorySuite: Suite = {
  name: "memory",
  async run(ctx) {
    const out: Measurement[] = [];
    const starts: number[] = [];
    const rss = new Map<number, number>();
    for (const sequences of [1, 8]) {
      const [ms, target] = await timed(() =>
        engineTarget("runner", { modelPath: ctx.modelPath, contextSize: 1024, sequences }),
      );
      starts.push(ms);
      try {
        const { text, tokens } = await target.generate("hello", 4);
        if (tokens < 1 || typeof text !== "string") throw new WrongResultError("runner produced no tokens");
        const memory = await (
          target.engine as unknown as { memory(): Promise<{ rssBytes: number }> }
        ).memory();
        rss.set(sequences, memory.rssBytes);
      } finally {
        await target.close();
      }
    }
    const one = rss.get(1)!;
    out.push(
      {
        id: "memory.model.rss",
        suite: "memory",
        what: "runner RSS, model loaded, 1 sequence, ctx 1024",
        value: one / MB,
        unit: "MB",
      },
      {
        id: "memory.sequence.rss",
        suite: "memory",
        what: "extra runner RSS per additional sequence (8 vs 1)",
        value: (rss.get(8)! - one) / 7 / MB,
        unit: "MB",
      },
      {
        id: "coldstart.runner",
        suite: "memory",
        what: "runner spawn → model loaded and validated, median",
        value: median(starts),
        unit: "ms",
      },
    );
    return out;
  },
};
