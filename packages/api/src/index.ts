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
  type ErrorBody,
  errorBody,
  httpStatusFor,
  retryAfterOf,
  toPublicError,
  trpcCodeOf,
} from "./errors.ts";
export { chatCompletions, completions, type OpenAiResult } from "./openai/chat.ts";
export { embeddings, listModels } from "./openai/embeddings.ts";
export { primeStream } from "./openai/primeStream.ts";
export { type AppRouter, appRouter } from "./router.ts";
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
} from "./schemas.ts";
export { sluiceErrorOf } from "./trpc.ts";
export { issuePath, parseInput, zodToInvalidInput } from "./zodError.ts";
