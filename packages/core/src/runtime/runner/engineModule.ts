import type { EngineFactory } from "../engine/Engine.ts";
import type { RunnerLogLevel } from "./protocol.ts";

/** What a runner passes to the engine module it hosts. */
export interface RunnerEngineModuleContext {
  /** Receives native log lines (node-llama-cpp's logger) so they reach the host's logger. */
  log(level: RunnerLogLevel, message: string): void;
  /** `RunnerEngineFactoryOptions.engineOptions`, structured-cloned into the runner. */
  options?: Record<string, unknown>;
}

/**
 * The contract of a module a runner can host: it exports `createEngineFactory`.
 * The default module wraps the in-process llama adapter; tests and embedders can
 * point a runner at another module through `RunnerEngineFactoryOptions.engineModule`.
 */
export interface RunnerEngineModule {
  createEngineFactory(context: RunnerEngineModuleContext): EngineFactory | Promise<EngineFactory>;
}
