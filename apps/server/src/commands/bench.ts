import { spawn } from "node:child_process";
import { Command } from "commander";
import { installRoot } from "../paths.ts";

/** `sluice bench [suite]`: runs the benchmark workspace (tinybench suites, then the report). */
export function benchCommand(): Command {
  return new Command("bench")
    .description("run the benchmarks (benchmarks/ workspace); figures are printed and written to its reports")
    .argument("[suite]", "one suite: runtime, runner, cache, cascade, server-load (default: all)")
    .option("--gate", "compare the latest figures with the budgets and exit 1 on a regression")
    .action(async (suite: string | undefined, options: { gate?: boolean }) => {
      const script = options.gate ? "bench:gate" : suite ? `bench:${suite}` : "bench";
      const args =
        suite === "server-load"
          ? ["--filter", "@sluice/server", "loadtest"]
          : ["--filter", "@sluice/benchmarks", "run", script];
      const child = spawn("pnpm", args, { cwd: installRoot(), stdio: "inherit" });
      const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
      process.exitCode = code;
    });
}
