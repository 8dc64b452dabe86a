/**
 * The engine module a vision runner hosts (RunnerEngineModule): llama.node
 * with LFM2-VL projectors, its native log lines forwarded to the host.
 * This process never loads node-llama-cpp.
 */
import type { EngineFactory } from "../engine/Engine.ts";
import type { RunnerEngineModuleContext } from "../runner/engineModule.ts";
import { VisionEngineFactory, type VisionEngineFactoryOptions } from "./VisionEngineFactory.ts";

/** Exit code of a vision runner that retires itself after a poisoned context. */
export const POISONED_EXIT_CODE = 75;

export function createEngineFactory(context: RunnerEngineModuleContext): EngineFactory {
  const options = (context.options ?? {}) as Omit<VisionEngineFactoryOptions, "log" | "onPoisoned">;
  return new VisionEngineFactory({
    ...options,
    log: (level, message) => context.log(level, message),
    onPoisoned: (error) => {
      context.log(
        "error",
        `a failed completion poisoned the vision context; the runner exits to be replaced: ${String(error)}`,
      );
      // Long enough for the failed request's error reply to leave; the
      // supervisor fails what was queued behind it with RUNNER_CRASHED and restarts.
      setTimeout(() => process.exit(POISONED_EXIT_CODE), 100);
    },
  });
}
