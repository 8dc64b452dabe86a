import { promptOfTokens } from "../prompts.ts";
import { sdkTarget } from "../sdkTarget.ts";
import { median, timed } from "../stats.ts";
import { engineTarget, rawTarget, type Target } from "../targets.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

/**
 * The same greedy request through raw node-llama-cpp and through Sluice,
 * interleaved round by round so machine noise hits every path alike.
 */
export const overheadSuite: Suite = {
  name: "overhead",
  async run(ctx) {
    const load = { modelPath: ctx.modelPath, contextSize: 512, sequences: 1 };
    const raw = await rawTarget(ctx.modelPath, load);
    const probe = await engineTarget("in-process", load);
    const prompt = await promptOfTokens(probe.engine, 32);
    await probe.close();
    const paths: Array<[string, Target]> = [
      ["raw", raw],
      ["inprocess", await sdkTarget("in-process", load, ctx.injectDelayMs)],
      ["runner", await sdkTarget("runner", load, ctx.injectDelayMs)],
    ];
    const newTokens = 64;
    try {
      const expected = await raw.generate(prompt, newTokens);
      for (const [name, t] of paths) {
        const r = await t.generate(prompt, newTokens);
        if (r.text !== expected.text) {
          throw new WrongResultError(
            `${name} output differs from raw node-llama-cpp: ${JSON.stringify(r.text)}`,
          );
        }
      }
      const samples = new Map<string, number[]>(paths.map(([n]) => [n, []]));
      const rounds = ctx.rounds ?? (ctx.tier === "fast" ? 100 : 12);
      for (let i = 0; i < rounds; i++) {
        // Rotate the order each round so no path always runs first.
        for (let k = 0; k < paths.length; k++) {
          const [name, t] = paths[(i + k) % paths.length]!;
          samples.get(name)!.push((await timed(() => t.generate(prompt, newTokens)))[0]);
        }
      }
      const base = median(samples.get("raw")!);
      const out: Measurement[] = [
        {
          id: "overhead.raw.median",
          suite: "overhead",
          what: `raw node-llama-cpp, 32-token prompt, ${newTokens} new, median`,
          value: base,
          unit: "ms",
        },
      ];
      for (const name of ["inprocess", "runner"]) {
        const mine = samples.get(name)!;
        const med = median(mine);
        // Paired by round: each round ran every path back to back, so a burst of
        // machine load lands on both sides of a pair. The median of the pair
        // ratios is the overhead; it is steadier than a ratio of two medians.
        const ratio = median(mine.map((ms, i) => ms / samples.get("raw")![i]!));
        out.push(
          {
            id: `overhead.${name}.median`,
            suite: "overhead",
            what: `Sluice SDK (${name}), same request, median`,
            value: med,
            unit: "ms",
          },
          {
            id: `overhead.${name}.ratio`,
            suite: "overhead",
            what: `Sluice SDK (${name}) / raw, median of per-round ratios`,
            value: ratio,
            unit: "x",
          },
          {
            id: `overhead.${name}.per_token`,
            suite: "overhead",
            what: `extra time per generated token, ${name}`,
            value: (med - base) / newTokens,
            unit: "ms",
          },
        );
      }
      return out;
    } finally {
      for (const [, t] of paths) await t.close();
    }
  },
};
