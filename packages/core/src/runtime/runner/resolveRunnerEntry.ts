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
 * Finds the runner entry beside this module. From source (a .ts file, as in
 * tests and `tsx`) the child needs tsx's loader; from a build it runs plain JS.
 */
export function resolveRunnerEntry(): RunnerEntry {
  const self = fileURLToPath(import.meta.url);
  const extension = self.endsWith(".ts") ? ".ts" : ".js";
  const path = join(self, "..", `runnerMain${extension}`);
  if (extension === ".js") return { path, execArgv: [] };
  return { path, execArgv: ["--import", resolveTsx()] };
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
