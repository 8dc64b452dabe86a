/**
 * The engine module a runner hosts by default: the in-process node-llama-cpp
 * adapter, with the binding's native log lines forwarded to the host.
 */
import type { EngineFactory } from "../engine/Engine.ts";
import { getSharedLlama, LlamaEngineFactory, type LlamaEngineFactoryOptions } from "../llama/index.ts";
import type { RunnerEngineModuleContext } from "./engineModule.ts";
import type { RunnerLogLevel } from "./protocol.ts";

const levels: Record<string, RunnerLogLevel> = {
  fatal: "error",
  error: "error",
  warn: "warn",
  info: "info",
  log: "info",
  debug: "debug",
};

export async function createEngineFactory(context: RunnerEngineModuleContext): Promise<EngineFactory> {
  const options = (context.options ?? {}) as LlamaEngineFactoryOptions;
  const llama = await getSharedLlama(options);
  llama.logger = (level, message) => context.log(levels[level] ?? "info", message.trimEnd());
  // Warnings too: a runner's warnings (bad metadata, fallbacks) explain its crashes.
  llama.logLevel = "warn" as typeof llama.logLevel;
  return new LlamaEngineFactory(options);
}
