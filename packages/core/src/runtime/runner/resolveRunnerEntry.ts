import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface RunnerEntry {
  /** Absolute path of the runner's entry module. */
  path: string;
  /** Node flags the child needs to run it. */
  execArgv: string[];
}

/**
 * Finds the runner entry. From source (a .ts file, as in tests and `tsx`) it
 * sits beside this module and the child needs tsx's loader and the
 * `@sluice/source` export condition (workspace packages resolve to their
 * sources, as in the parent); from a build it is
 * plain JS, beside this module or, when this code was bundled into a chunk at
 * the root of dist/, at dist/runtime/runner/runnerMain.js (a tsdown entry).
 */
export function resolveRunnerEntry(): RunnerEntry {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) {
    const execArgv = ["--conditions=@sluice/source", "--import", resolveTsx()];
    // Coverage of a runner run from source: V8 writes it on exit, and the
    // code tsx produced is recorded beside it (see coverageSources.mjs).
    if (process.env.NODE_V8_COVERAGE)
      execArgv.push("--import", pathToFileURL(join(self, "..", "coverageSources.mjs")).href);
    return { path: join(self, "..", "runnerMain.ts"), execArgv };
  }
  const candidates = [
    join(self, "..", "runnerMain.js"),
    join(self, "..", "runtime", "runner", "runnerMain.js"),
  ];
  return { path: candidates.find((c) => existsSync(c)) ?? (candidates[0] as string), execArgv: [] };
}

function resolveTsx(): string {
  // tsx may be hoisted to the workspace root rather than beside @sluice/core.
  for (const base of [import.meta.url, pathToFileURL(join(process.cwd(), "noop.js")).href]) {
    try {
      return pathToFileURL(createRequire(base).resolve("tsx")).href;
    } catch {
      // try the next base
    }
  }
  return "tsx";
}
