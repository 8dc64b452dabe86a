/** Per-answer figures the chat shows under each assistant message. */
export interface AnswerMeta {
  requestId: string;
  /** Model (cascade tier) that answered. */
  model: string | null;
  /** Milliseconds from send to the first token, as this page saw it. */
  firstTokenMs: number | null;
  /** Server-side time to first token. */
  serverFirstTokenMs: number | null;
  tokensPerSecond: number | null;
  generatedTokens: number | null;
  confidence: number | null;
  cached: boolean;
  finishReason: string | null;
  /** The cascade served from a smaller tier than asked (model "auto" only). */
  degraded: boolean;
}

import type { ShownToolCall } from "./ToolCalls.tsx";

export interface ChatEntry {
  id: string;
  role: "system" | "user" | "assistant";
  content: string;
  status: "streaming" | "done" | "stopped" | "error";
  /** Token events received so far (streamed pieces, not the model's token count). */
  pieces: number;
  /** An attached image as a `data:image/…;base64,` URL (user messages to vision models). */
  image?: string;
  meta?: AnswerMeta;
  /** Calls the answer ended with (when tools were given). */
  toolCalls?: ShownToolCall[];
}

export interface ChatParams {
  model: string;
  temperature: number;
  maxTokens: number;
  topP: number;
  seed: string;
  jsonSchema: string;
  /** JSON list of `{name, description, parameters}`; when set, the model must call one. */
  tools: string;
  system: string;
  confidence: boolean;
}

export const DEFAULT_PARAMS: ChatParams = {
  model: "",
  temperature: 0.8,
  maxTokens: 128,
  topP: 0.95,
  seed: "",
  jsonSchema: "",
  tools: "",
  system: "",
  confidence: true,
};
