export { type ConfigProblem, configInvalid, problemsOf } from "./ConfigInvalid.ts";
export {
  ConfigWatcher,
  type ConfigWatcherOptions,
  type ReloadOutcome,
  type ReloadResult,
} from "./ConfigWatcher.ts";
export { type ConfigFieldDoc, describeConfig } from "./describeConfig.ts";
export { ENV_ALIASES, ENV_CONTROL, type EnvOverrides, envNameOf, envOverrides } from "./env.ts";
export { configFiles, type LoadConfigOptions, type LoadedConfig, loadConfig } from "./loadConfig.ts";
export type { SourceMap } from "./merge.ts";
export { changedPaths, isRuntimeSafe, RUNTIME_SAFE_FIELDS } from "./runtimeSafe.ts";
export { type AuthConfig, authSchema } from "./schema/auth.ts";
export { type CacheConfig, cacheSchema } from "./schema/cache.ts";
export { type CascadeConfig, cascadeSchema } from "./schema/cascade.ts";
export { type SluiceConfig, type SluiceConfigInput, sluiceConfigSchema } from "./schema/index.ts";
export { type LimitsConfig, limitsSchema } from "./schema/limits.ts";
export { type ModelsConfig, modelsSchema } from "./schema/models.ts";
export { type RuntimeConfig, runtimeSchema } from "./schema/runtime.ts";
export { type ServerConfig, serverSchema } from "./schema/server.ts";
export { type TelemetryConfig, telemetrySchema } from "./schema/telemetry.ts";
