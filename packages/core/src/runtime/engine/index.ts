export type {
  ChatContentPart,
  ChatMessage,
  ConfidenceStats,
  EmbedOptions,
  Engine,
  EngineAvailability,
  EngineFactory,
  EngineInfo,
  EngineLoadOptions,
  GenerateEvent,
  GenerateOptions,
  GenerateParams,
  GenerateStats,
  TokenLogprob,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from "./Engine.ts";
export { MAX_EMBED_TEXTS, MAX_STOP_STRINGS, validateEmbedTexts, validateGenerateParams } from "./validate.ts";
export {
  MAX_JSON_SCHEMA_DEPTH,
  MAX_JSON_SCHEMA_NODES,
  MAX_JSON_SCHEMA_STRING,
  validateJsonSchema,
} from "./validateJsonSchema.ts";
