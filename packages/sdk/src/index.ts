export { CascadeRouter, type CascadeRouterOptions } from "./CascadeRouter.ts";
export { createSluice } from "./createSluice.ts";
export { type CachedGeneration, InferenceCache } from "./InferenceCache.ts";
export { LocalModelResolver } from "./LocalModelResolver.ts";
export type { AdminAuditListener, AdminCallOptions, ModelAdmin } from "./ModelAdmin.ts";
export {
  LIMIT_DEFAULTS,
  type ModelResolver,
  type PullProgress,
  type ResolvedModelFile,
  type SluiceLimits,
  type SluiceModelOptions,
  type SluiceOptions,
} from "./options.ts";
export { SlotTier } from "./SlotTier.ts";
export { AUTO_MODEL, type CloseOptions, type DispatchEvent, Sluice } from "./Sluice.ts";
export { StoreModelResolver } from "./StoreModelResolver.ts";
export type {
  CallOptions,
  CascadeInfo,
  CatalogModel,
  ChatRequest,
  EmbedRequest,
  EmbedResult,
  GenerateRequest,
  GenerateResult,
  HealthReport,
  ModelState,
  ModelStatus,
  SluiceGenerateEvent,
} from "./types.ts";
export { sdkErrorCodes } from "./version.ts";
