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
