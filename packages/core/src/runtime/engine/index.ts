export type {
  ChatContentPart,
  ChatMessage,
  ConfidenceStats,
  EmbedOptions,
  Engine,
  EngineFactory,
  EngineInfo,
  EngineLoadOptions,
  GenerateEvent,
  GenerateParams,
  GenerateStats,
  TokenLogprob,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from "./Engine.ts";
export { MAX_EMBED_TEXTS, MAX_STOP_STRINGS, validateEmbedTexts, validateGenerateParams } from "./validate.ts";
