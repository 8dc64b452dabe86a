// Public API of the model area: catalog, GGUF validation, integrity and the store.
export {
  createCatalog,
  getCatalog,
  loadCatalog,
  ModelCatalog,
  type ModelEntry,
} from "./catalog/ModelCatalog.ts";
export {
  type CatalogData,
  CatalogSchema,
  entryFileName,
  MODEL_FILE_NAME_PATTERN,
  MODEL_ID_PATTERN,
  type ModelEntryInput,
  ModelEntrySchema,
  ModelRole,
  Sha256Hex,
  type SyntheticPreset,
  SyntheticPresetSchema,
} from "./catalog/schema.ts";
export {
  approxFileBytes,
  approxNeedBytes,
  type FitOptions,
  fitModels,
  type ModelFit,
} from "./fit/fitModels.ts";
export {
  CHECKED_ARCHITECTURES,
  LLAMA_CPP_ARCHITECTURES,
  PROJECTOR_ARCHITECTURE,
} from "./gguf/architectures.ts";
export { checkArchitecture, type GgufExpectedKind } from "./gguf/checkArchitecture.ts";
export { GGML_TYPE_COUNT, type GgmlTypeInfo, ggmlType } from "./gguf/ggmlTypes.ts";
export {
  type GgufArrayValue,
  type GgufHeader,
  type GgufTensor,
  type GgufValue,
  GgufValueType,
} from "./gguf/parseGguf.ts";
export {
  type GgufFileSummary,
  type GgufValidationOptions,
  validateGgufBuffer,
  validateGgufFile,
} from "./gguf/validateGguf.ts";
export { DigestLock, type DigestPin } from "./integrity/DigestLock.ts";
export { type HashFileOptions, type HashProgress, type HashResult, hashFile } from "./integrity/hashFile.ts";
export { VerificationRecords } from "./integrity/VerificationRecords.ts";
export {
  checkUrlAllowed,
  createHostPolicy,
  DEFAULT_ALLOWED_HOSTS,
  type HostPolicy,
} from "./refs/hostPolicy.ts";
export {
  type HfFile,
  HUGGING_FACE_BASE,
  hfFileUrl,
  type ModelRef,
  parseHfUri,
  parseModelRef,
} from "./refs/parseModelRef.ts";
export type {
  ModelStoreEventName,
  ModelStoreEvents,
  ModelStoreListener,
} from "./store/events.ts";
export {
  createModelStore,
  type ListedModel,
  type ModelProgress,
  ModelStore,
  type ModelStoreOptions,
  type ResolvedModel,
  type ResolveOptions,
} from "./store/ModelStore.ts";
