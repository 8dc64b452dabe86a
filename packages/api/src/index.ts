export {
  type ApiContext,
  type ApiDeps,
  type CascadeView,
  createContextFactory,
  type MetricsSnapshot,
  type Principal,
  type RequestInfo,
  type Scope,
} from "./context.ts";
export {
  BODY_TOO_LARGE,
  DEFAULT_RETRY_AFTER_SECONDS,
  type ErrorBody,
  errorBody,
  httpStatusFor,
  retryAfterOf,
  toPublicError,
  trpcCodeOf,
} from "./errors.ts";
export { chatCompletions, completions, type OpenAiResult } from "./openai/chat.ts";
export { embeddings, listModels, retrieveModel } from "./openai/embeddings.ts";
export { checkJsonSchema, MAX_JSON_SCHEMA_DEPTH, MAX_JSON_SCHEMA_NODES } from "./openai/jsonSchemaCheck.ts";
export { primeStream } from "./openai/primeStream.ts";
export { REFUSED_FIELDS } from "./openai/refusals.ts";
export { type AppRouter, appRouter, procedureAccess } from "./router.ts";
export {
  type ChatInput,
  chatInput,
  chatMessage,
  chatPart,
  type EmbedInput,
  embedInput,
  type GenerateInput,
  generateInput,
  MAX_EMBED_INPUTS,
  MAX_MESSAGES,
  MAX_TEXT_CHARS,
  toolCall,
  toolDefinition,
} from "./schemas.ts";
export { sluiceErrorOf } from "./trpc.ts";
export { issuePath, parseInput, zodToInvalidInput } from "./zodError.ts";
