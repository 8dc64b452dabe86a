import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { installRoot } from "../paths.ts";

/**
 * The suites that exist: each `bench:<suite>` script of the benchmarks
 * workspace (the gate is `--gate`), plus `server-load` (apps/server's load
 * test). Empty outside a checkout: an installed server has no benchmarks.
 */
export function benchSuites(root: string = installRoot()): string[] {
  const file = join(root, "benchmarks", "package.json");
  if (!existsSync(file)) return [];
  const { scripts } = JSON.parse(readFileSync(file, "utf8")) as { scripts: Record<string, string> };
  const suites = Object.keys(scripts)
    .filter((s) => s.startsWith("bench:") && s !== "bench:gate")
    .map((s) => s.slice("bench:".length));
  return [...suites, "server-load"];
}

/** `sluice bench [suite]`: runs the benchmark workspace (tinybench suites, then the report). */
export function benchCommand(): Command {
  const root = installRoot();
  const suites = benchSuites(root);
  return new Command("bench")
    .description("run the benchmarks (benchmarks/ workspace); figures are printed and written to its reports")
    .argument(
      "[suite]",
      suites.length > 0
        ? `one suite: ${suites.join(", ")} (default: all but server-load, one after another)`
        : "a suite (benchmarks live in a Sluice checkout; none here)",
    )
    .option("--gate", "compare the latest figures with the budgets and exit 1 on a regression")
    .action(async (suite: string | undefined, options: { gate?: boolean }) => {
      if (suites.length === 0 || (suite !== undefined && !suites.includes(suite))) {
        console.error(
          suites.length === 0
            ? `sluice bench: no benchmarks/ beside ${root} (they ship with the checkout, not the image)`
            : `sluice bench: unknown suite ${suite}; suites: ${suites.join(", ")}`,
        );
        process.exitCode = 2;
        return;
      }
      const script = options.gate ? "bench:gate" : suite ? `bench:${suite}` : "bench";
      const args =
        suite === "server-load"
          ? ["--filter", "@sluice/server", "loadtest"]
          : ["--filter", "@sluice/benchmarks", "run", script];
      const child = spawn("pnpm", args, { cwd: root, stdio: "inherit" });
      const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
      process.exitCode = code;
    });
}
