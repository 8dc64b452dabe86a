// Errors callers catch and check, so that a consumer of the SDK needs no direct dependency on @sluice/core.
export {
  AbortedError,
  CircuitOpenError,
  ConfigInvalidError,
  DisposedError,
  DownloadFailedError,
  ErrorCode,
  errorFromCode,
  ForbiddenError,
  httpStatusOf,
  InferenceFailedError,
  InvalidInputError,
  isErrorCode,
  isSluiceError,
  ModelCorruptError,
  ModelNotFoundError,
  ModelUnsupportedError,
  OutOfMemoryBudgetError,
  QueueFullError,
  RateLimitedError,
  RunnerCrashedError,
  reviveError,
  type SerializedSluiceError,
  SluiceError,
  type SluiceErrorOptions,
  TimeoutError,
  toSluiceError,
  UnauthorizedError,
} from "@sluice/core/errors";
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
export {
  ContentPolicies,
  type ContentPolicy,
  type DenyListOptions,
  denyListPolicy,
  luhnValid,
  type PiiKind,
  type PolicyContext,
  type PolicyListener,
  type PolicyStage,
  type PolicyVerdict,
  piiRedactionPolicy,
} from "./policy/index.ts";
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
