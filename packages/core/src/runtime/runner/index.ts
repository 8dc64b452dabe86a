export { RUNNER_DECODE_ENV, withDecodeEnv } from "./decodeEnv.ts";
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
export { runnerEnvironment } from "./runnerEnvironment.ts";
export {
  bwrapArguments,
  probeBubblewrap,
  type RunnerSandboxMode,
  type RunnerSandboxStatus,
  resolveRunnerSandbox,
  type SandboxView,
} from "./sandbox.ts";
