import { promptOfTokens } from "../prompts.ts";
import { sdkTarget } from "../sdkTarget.ts";
import { median, timed } from "../stats.ts";
import { engineTarget, rawProcessTarget, rawTarget, type Target } from "../targets.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

/**
 * The same greedy request through raw node-llama-cpp and through Sluice,
 * interleaved round by round so machine noise hits every path alike. Each
 * Sluice path is divided by raw node-llama-cpp in the same kind of process:
 * in-process by raw in this process, the runner by raw in a child process
 * with the runner's decode environment.
 */
export const overheadSuite: Suite = {
  name: "overhead",
  async run(ctx) {
    // One thread on every path: the cost measured is the path's own. With more, the paths'
    // ggml workers (four processes' worth) spin against each other on a small machine, and
    // the ratios measured that contention and the thread governor's answer to it instead.
    const load = { modelPath: ctx.modelPath, contextSize: 512, sequences: 1, threads: 1 };
    const raw = await rawTarget(ctx.modelPath, load);
    const probe = await engineTarget("in-process", load);
    const prompt = await promptOfTokens(probe.engine, 32);
    await probe.close();
    const paths: Array<[string, Target]> = [
      ["raw", raw],
      ["rawRunnerEnv", await rawProcessTarget(ctx.modelPath, load)],
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
          const [ms, r] = await timed(() => t.generate(prompt, newTokens));
          // Every timed answer is checked too: a path that stopped early would look fast.
          if (r.text !== expected.text)
            throw new WrongResultError(
              `${name} output differs from raw in round ${i}: ${JSON.stringify(r.text)}`,
            );
          samples.get(name)!.push(ms);
        }
      }
      const base = median(samples.get("raw")!);
      const baseOf = { inprocess: "raw", runner: "rawRunnerEnv" } as const;
      const out: Measurement[] = [
        {
          id: "overhead.raw.median",
          suite: "overhead",
          what: `raw node-llama-cpp, 32-token prompt, ${newTokens} new, median`,
          value: base,
          unit: "ms",
        },
        {
          id: "overhead.raw-runner-env.median",
          suite: "overhead",
          what: `raw node-llama-cpp in a child process with the runner's decode environment, median`,
          value: median(samples.get("rawRunnerEnv")!),
          unit: "ms",
        },
      ];
      for (const name of ["inprocess", "runner"] as const) {
        const mine = samples.get(name)!;
        const med = median(mine);
        const theirs = samples.get(baseOf[name])!;
        const baseMed = median(theirs);
        // Paired by round: each round ran every path back to back, so a burst of
        // machine load lands on both sides of a pair. The median of the pair
        // ratios is the overhead; it is steadier than a ratio of two medians.
        const ratio = median(mine.map((ms, i) => ms / theirs[i]!));
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
            what: `Sluice SDK (${name}) / ${baseOf[name] === "raw" ? "raw" : "raw with the runner's decode env"}, median of per-round ratios`,
            value: ratio,
            unit: "x",
          },
          {
            id: `overhead.${name}.per_token`,
            suite: "overhead",
            what: `extra time per generated token, ${name}`,
            value: (med - baseMed) / newTokens,
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
