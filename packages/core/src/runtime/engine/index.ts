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
} from "./Engine.ts";
