import { promptOfTokens } from "../prompts.ts";
import { summarize, timed } from "../stats.ts";
import { engineTarget } from "../targets.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

export const embeddingsSuite: Suite = {
  name: "embeddings",
  async run(ctx) {
    const out: Measurement[] = [];
    const target = await engineTarget("in-process", {
      modelPath: ctx.modelPath,
      contextSize: 512,
      sequences: 1,
      embeddingContexts: 2,
    });
    try {
      const [a, b] = await target.embed(["a cache remembers", "a cache remembers"]);
      const dim = target.engine.info.embeddingLength;
      if (!a || !b || a.length !== dim || !a.every(Number.isFinite) || a.some((x, i) => x !== b[i])) {
        throw new WrongResultError("embedding is not a finite, deterministic vector of the model's width");
      }
      const rounds = ctx.rounds ?? (ctx.tier === "fast" ? 20 : 8);
      for (const tokens of [8, 64, 256]) {
        const text = await promptOfTokens(target.engine, tokens);
        const single: number[] = [];
        for (let i = 0; i < rounds; i++) single.push((await timed(() => target.embed([text])))[0]);
        const concurrent: number[] = [];
        for (let r = 0; r < 2; r++) {
          const lat = await Promise.all(
            Array.from({ length: 10 }, () => timed(() => target.embed([text])).then(([ms]) => ms)),
          );
          concurrent.push(...lat);
        }
        for (const [label, samples] of [
          ["1client", single],
          ["10clients", concurrent],
        ] as const) {
          const s = summarize(samples);
          for (const p of ["p50", "p95", "p99"] as const) {
            out.push({
              id: `embedding.${p}.${tokens}tok.${label}`,
              suite: "embeddings",
              what: `embedding ${p}, ${tokens}-token text, ${label === "1client" ? "1 client" : "10 concurrent clients"}`,
              value: s[p],
              unit: "ms",
            });
          }
        }
      }
    } finally {
      await target.close();
    }
    return out;
  },
};
