/**
 * The engine module a vision runner hosts (RunnerEngineModule): llama.node
 * with LFM2-VL projectors, its native log lines forwarded to the host.
 * This process never loads node-llama-cpp.
 */
import type { EngineFactory } from "../engine/Engine.ts";
import type { RunnerEngineModuleContext } from "../runner/engineModule.ts";
import { VisionEngineFactory, type VisionEngineFactoryOptions } from "./VisionEngineFactory.ts";

export function createEngineFactory(context: RunnerEngineModuleContext): EngineFactory {
  const options = (context.options ?? {}) as Omit<VisionEngineFactoryOptions, "log">;
  return new VisionEngineFactory({ ...options, log: (level, message) => context.log(level, message) });
}
