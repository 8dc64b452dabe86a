export type { RunnerEngineModule, RunnerEngineModuleContext } from "./engineModule.ts";
export type { RunnerLogLevel, RunnerLogRecord } from "./protocol.ts";
export { RunnerEngine, type RunnerMemory } from "./RunnerEngine.ts";
export {
  RunnerEngineFactory,
  type RunnerEngineFactoryOptions,
  type RunnerEngineLoadOptions,
  type RunnerEventArgs,
} from "./RunnerEngineFactory.ts";
export type { RunnerCrash } from "./RunnerProcess.ts";
export type {
  RunnerCrashEvent,
  RunnerEvents,
  RunnerRestartOptions,
  RunnerState,
} from "./RunnerSupervisor.ts";
