import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { RunnerEngineFactory, type RunnerEngineFactoryOptions } from "../runner/RunnerEngineFactory.ts";
import type { VisionEngineFactoryOptions } from "./VisionEngineFactory.ts";

/**
 * File URL of the vision runner's engine module: a .ts file beside this one
 * from source; from a build, beside this module or, when this code was bundled
 * into a chunk at the root of dist/, dist/runtime/llama-vision/visionEngineModule.js
 * (a tsdown entry of its own).
 */
export function visionEngineModuleUrl(): string {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) return pathToFileURL(join(dirname(self), "visionEngineModule.ts")).href;
  const candidates = [
    join(dirname(self), "visionEngineModule.js"),
    join(dirname(self), "runtime", "llama-vision", "visionEngineModule.js"),
  ];
  return pathToFileURL(candidates.find((c) => existsSync(c)) ?? (candidates[0] as string)).href;
}

export interface VisionRunnerEngineFactoryOptions
  extends Omit<RunnerEngineFactoryOptions, "engineModule" | "engineOptions"> {
  /** Image limits and token caps, sent to each vision runner. Defaults to the vision engine's. */
  vision?: Omit<VisionEngineFactoryOptions, "log">;
}

/**
 * A RunnerEngineFactory whose runners host llama.node instead of
 * node-llama-cpp: the vision runner kind. Crash detection, RUNNER_CRASHED,
 * restarts with backoff, heartbeats and log forwarding are the runner's own.
 * `load` needs `mmprojPath`.
 */
export function createVisionRunnerEngineFactory(
  options: VisionRunnerEngineFactoryOptions = {},
): RunnerEngineFactory {
  const { vision, ...runner } = options;
  return new RunnerEngineFactory({
    ...runner,
    engineModule: visionEngineModuleUrl(),
    engineOptions: { ...vision },
  });
}
