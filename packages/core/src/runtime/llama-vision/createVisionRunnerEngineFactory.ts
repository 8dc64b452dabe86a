import { fileURLToPath, pathToFileURL } from "node:url";
import { RunnerEngineFactory, type RunnerEngineFactoryOptions } from "../runner/RunnerEngineFactory.ts";
import type { VisionEngineFactoryOptions } from "./VisionEngineFactory.ts";

/** File URL of the vision runner's engine module (a .ts file from source, .js from a build). */
export function visionEngineModuleUrl(): string {
  const self = fileURLToPath(import.meta.url);
  const extension = self.endsWith(".ts") ? ".ts" : ".js";
  return pathToFileURL(
    self.replace(/createVisionRunnerEngineFactory\.(ts|js)$/, `visionEngineModule${extension}`),
  ).href;
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
