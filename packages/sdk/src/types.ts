import type {
  ChatMessage,
  GenerateEvent,
  GenerateParams,
  GenerateStats,
  TokenLogprob,
  ToolCall,
} from "@sluice/core";
import type { ModelMemoryReport } from "./ModelMemory.ts";

/** Per-call options shared by every inference method. */
export interface CallOptions {
  /** Aborting it cancels the call at once and frees its sequence. */
  signal?: AbortSignal;
  /** Deadline in milliseconds for this call. Defaults to `limits.requestTimeoutMs`. */
  timeoutMs?: number;
  /** `interactive` requests are served before `batch` ones. Defaults to `"interactive"`. */
  priority?: "interactive" | "batch";
  /** Caller identity for fairness and A/B stickiness. Defaults to `"anonymous"`. */
  caller?: string;
}

/** A completion-mode request: a raw prompt. */
export interface GenerateRequest extends Omit<GenerateParams, "messages" | "prompt"> {
  /** Model id; defaults to the instance's default model. */
  model?: string;
  prompt: string;
}

/** A chat request: messages formatted with the model's chat template. */
export interface ChatRequest extends Omit<GenerateParams, "messages" | "prompt"> {
  model?: string;
  messages: ChatMessage[];
}

/** How the cascade answered a request for model `"auto"`. */
export interface CascadeInfo {
  tier: string;
  degraded: boolean;
  lowConfidence: boolean;
  confidence: number;
  reason?: string;
  arm?: string;
  trace: unknown;
}

/** A streamed event, labelled with the model that produced it. */
export type SluiceGenerateEvent = GenerateEvent & { model: string; cached?: boolean; cascade?: CascadeInfo };

/** The whole answer of a non-streaming call. */
export interface GenerateResult {
  model: string;
  text: string;
  stats: GenerateStats;
  /** Served from the result cache. */
  cached: boolean;
  /** The model's weights are random; the text is noise. */
  synthetic: boolean;
  /** Present when the cascade routed the request (model `"auto"`). */
  cascade?: CascadeInfo;
  /** Calls the model made (chat with `tools`); `stats.finishReason` is then `"tool_calls"`. */
  toolCalls?: ToolCall[];
  /** Every generated token's log-probability, when the request set `logprobs`. */
  logprobs?: TokenLogprob[];
}

export interface EmbedRequest {
  model?: string;
  texts: string[];
  /** L2-normalise the vectors. Defaults to `false`. */
  normalize?: boolean;
}

export interface EmbedResult {
  model: string;
  vectors: Float32Array[];
  /** Prompt tokens evaluated (cache hits count 0). */
  promptTokens: number;
  /** How many vectors came from the cache. */
  cachedCount: number;
}

export type ModelState = "unloaded" | "loading" | "ready" | "degraded" | "broken";

/** What `models.list()` and `models.status()` report. */
export interface ModelStatus {
  id: string;
  role: "chat" | "embed";
  state: ModelState;
  synthetic: boolean;
  isDefault: boolean;
  path?: string;
  sha256?: string;
  sizeBytes?: number;
  contextSize: number;
  sequences: number;
  busySequences: number;
  queued: number;
  lastError?: { code: string; message: string };
  /** How the loaded engine runs (context, sequences, threads, batch, GPU backend); absent while it is not loaded. */
  engine?: {
    contextSize: number;
    sequences: number;
    threads?: number;
    batchSize?: number;
    gpu?: string | false;
    /** Longest native burst of a streamed request in ms (`0`: token by token); absent where the engine does not apply it. */
    streamIntervalMs?: number;
  };
  /** Memory of the loaded model (GGUF estimate, runner RSS); absent while it is not loaded. */
  memory?: ModelMemoryReport;
}

/** A catalog model as the model picker shows it: on disk or pullable, its size and whether it fits. */
export interface CatalogModel {
  id: string;
  name: string;
  role: "chat" | "embed" | "vision" | "projector";
  uri: string;
  architecture?: string;
  quantization?: string;
  parameters?: string;
  license?: string;
  description?: string;
  /** File size: measured when on disk, else the catalog's (approximate). */
  sizeBytes?: number;
  /** The file is in the models directory or an extra directory. */
  present: boolean;
  /** RAM one load needs (GGUF header when present, else approximated from the size). */
  needBytes?: number;
  /** `needBytes` is within the memory budget; absent without a budget. */
  fits?: boolean;
  /** State of the configured model with this id; absent when not configured. */
  state?: ModelState;
}

export interface HealthReport {
  status: "ok" | "degraded" | "closing";
  /** The default model is loaded and accepting requests. */
  ready: boolean;
  models: Array<{ id: string; state: ModelState }>;
}
