/**
 * The engine port: everything above it (model host, scheduler, cascade, SDK)
 * talks to inference only through these types, so an in-process adapter and a
 * runner-process proxy are interchangeable.
 */

/** How a model is loaded. Hardware-dependent values accept `"auto"`. */
export interface EngineLoadOptions {
  /** Absolute path of a verified GGUF file. */
  modelPath: string;
  /** Tokens of context per sequence. Defaults to `LOAD_DEFAULTS.contextSize` (`4096`; never the model's full training context). */
  contextSize?: number;
  /** Parallel sequences in the generation context (continuous batching). Defaults to `4`. */
  sequences?: number;
  /**
   * CPU threads. Defaults to `"auto"` = every physical core (at most 8), fewer
   * while other processes keep cores busy (re-measured every 500 ms on Linux).
   */
  threads?: number | "auto";
  /** Prompt-processing batch size in tokens. Defaults to `512`. */
  batchSize?: number;
  /** Memory-map the weights. Defaults to `true`. */
  useMmap?: boolean;
  /**
   * KV-cache element type. Defaults to `"f16"`. `"q8_0"` and `"q4_0"` turn on
   * flash attention (llama.cpp keeps a quantized V cache only with it) and need
   * attention heads whose size is a multiple of 32; other models are refused
   * with MODEL_UNSUPPORTED.
   */
  kvCacheType?: "f32" | "f16" | "q8_0" | "q4_0";
  /** Embedding contexts kept for embed() (0 = embeddings disabled). Defaults to `1`. */
  embeddingContexts?: number;
  /**
   * Keep a finished request's sequence and its tokens; a later prompt that
   * extends those tokens exactly (a chat's next turn) continues it and
   * evaluates only the new suffix. Kept sequences are cleared least recently
   * used first when a prompt needs a sequence. Defaults to `true`.
   */
  sequenceReuse?: boolean;
  /**
   * Streamed generation in bursts: a streamed request that decodes alone on a
   * text model may generate natively in llama.cpp for up to this many
   * milliseconds before its tokens are delivered, together. Fewer hand-offs
   * between JavaScript and llama.cpp per token (a few per cent more streamed
   * tokens/s on 2 cores, −2 % to +13 % a run: see docs/performance.md), at the cost of smooth
   * per-token delivery. `0` delivers every token as it is sampled. Requests
   * with stop strings (other than a chat template's end-of-turn marker), a
   * grammar or repetition penalties, and
   * requests co-batched with others, always go token by token; vision
   * engines ignore it. Whole numbers from `0` to `1000`. Defaults to `0`.
   */
  streamIntervalMs?: number;
  /** Path of a multimodal projector (vision engines only). */
  mmprojPath?: string;
}

export interface GenerateParams {
  /** Raw prompt (completion mode). Exactly one of prompt and messages. */
  prompt?: string;
  /** Chat messages (formatted with the model's chat template). */
  messages?: ChatMessage[];
  /** Defaults to `256`. */
  maxTokens?: number;
  /**
   * Keep the sequence's state after the answer for a later prompt that
   * extends it (sequence reuse). `false` for one-off prompts: a kept sequence
   * must be cleared before a new prompt can use it (between two decode steps
   * with Sluice's patched node-llama-cpp; after every decode in flight with an
   * unpatched one), so state nobody will extend should not be kept.
   * Defaults to `true`.
   */
  keepState?: boolean;
  stop?: string[];
  /** 0 = greedy. Defaults to `0.8`. */
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  repeatPenalty?: number;
  /** OpenAI's frequency penalty (-2–2) over the last 64 generated tokens. Defaults to `0`. */
  frequencyPenalty?: number;
  /** OpenAI's presence penalty (-2–2) over the last 64 generated tokens. Defaults to `0`. */
  presencePenalty?: number;
  /** JSON schema the output must satisfy (grammar-constrained decoding). */
  jsonSchema?: Record<string, unknown>;
  /** Collect per-token probabilities to compute a confidence score. Defaults to `false`. */
  confidence?: boolean;
  /** Functions the model may call (chat only). Defaults to none. */
  tools?: ToolDefinition[];
  /**
   * Whether and which tool the model must call: `"auto"` lets it choose, `"required"` and a named
   * function force a call with a grammar built from the tools' schemas. Defaults to `"auto"` when
   * tools are given.
   */
  toolChoice?: ToolChoice;
  /** Allow several calls in one answer. Defaults to `true`. */
  parallelToolCalls?: boolean;
  /**
   * Report each generated token's log-probability and this many most likely alternatives (0–20).
   * Defaults to none (no log-probabilities).
   */
  logprobs?: number;
}

/** A function the model may call; `parameters` is a JSON schema of its keyword arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON schema of an object. Defaults to an object without properties. */
  parameters?: Record<string, unknown>;
}

export type ToolChoice = "none" | "auto" | "required" | { name: string };

/** A call the model made (or made earlier, in a chat history). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** One generated token's log-probability and its most likely alternatives. */
export interface TokenLogprob {
  token: string;
  /** Natural log of the probability the sampler saw (clamped at -9999 for masked tokens). */
  logprob: number;
  bytes: number[];
  top: Array<{ token: string; logprob: number; bytes: number[] }>;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | ChatContentPart[];
  /** Calls an assistant message made; its content may then be empty. */
  toolCalls?: ToolCall[];
  /** The call a `tool` message answers. */
  toolCallId?: string;
}
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image"; data: Uint8Array; mimeType: string };

export interface GenerateStats {
  promptTokens: number;
  generatedTokens: number;
  /** Milliseconds from the start of the call to the first generated token. */
  timeToFirstTokenMs: number;
  /** Milliseconds spent decoding after the first token. */
  decodeMs: number;
  /** `tool_calls` when the answer ended with calls the caller should run. */
  finishReason: "stop" | "length" | "abort" | "tool_calls";
  /** Prompt tokens not evaluated because a kept sequence already held them (absent when none). */
  reusedPromptTokens?: number;
  /** Present when GenerateParams.confidence was set. */
  confidence?: ConfidenceStats;
}

export interface ConfidenceStats {
  /** Mean natural-log probability of the chosen tokens. */
  meanLogprob: number;
  /** Smallest probability of any chosen token. */
  minProb: number;
  /** Combined score in [0, 1] (geometric-mean probability). */
  score: number;
}

/** One streamed piece of output; the last event carries the stats. */
export type GenerateEvent =
  | {
      type: "token";
      text: string;
      /** Tokens decoded since the previous event, when GenerateParams.logprobs was set. */
      logprobs?: TokenLogprob[];
    }
  | {
      type: "done";
      /** The answer's text; tool-call markup is removed when calls were parsed. */
      text: string;
      stats: GenerateStats;
      /** Calls parsed from the answer. */
      toolCalls?: ToolCall[];
      /** Every generated token, when GenerateParams.logprobs was set. */
      logprobs?: TokenLogprob[];
    };

/** How the caller of {@link Engine.generate} reads the answer. */
export interface GenerateOptions {
  /**
   * Whether the caller reads the answer piece by piece (`true`, the default)
   * or only its end. With `false` the generation yields only its `done`
   * event, which carries the whole text, and a runner sends the host no
   * message per token (each costs both processes CPU time that the decode
   * threads would otherwise have: see docs/performance.md).
   */
  stream?: boolean;
  /**
   * With `stream: false`, called for each piece of text generated and not
   * passed on, by an engine that generates in this process: a runner's
   * heartbeat counts them to show that the request moves. A RunnerEngine does
   * not call it (its runner sends no message per piece).
   */
  onPiece?: () => void;
}

export interface EmbedOptions {
  /** L2-normalise each vector. Defaults to `false`. */
  normalize?: boolean;
}

export interface EngineInfo {
  modelPath: string;
  architecture: string;
  contextSize: number;
  sequences: number;
  trainContextSize: number;
  embeddingLength: number;
  /** Bytes of the model file. */
  fileSize: number;
  /** Threads the context decodes with (`"auto"` resolved). Absent where the adapter does not say. */
  threads?: number;
  /** Prompt tokens per batch of the context. Absent where the adapter does not say. */
  batchSize?: number;
  /** GPU backend of the binding that loaded the model, `false` for the CPU. Absent where the adapter does not say. */
  gpu?: string | false;
  /** EngineLoadOptions.streamIntervalMs as applied. Absent where the adapter does not apply it. */
  streamIntervalMs?: number;
}

/** Whether an engine whose model lives in another process can serve now. */
export type EngineAvailability = "ready" | "restarting" | "broken";

/**
 * A loaded model. Implementations: the in-process node-llama-cpp adapter and
 * the runner-process proxy. All methods reject with SluiceErrors.
 */
export interface Engine extends AsyncDisposable {
  readonly info: EngineInfo;
  readonly disposed: boolean;
  /** Streams tokens (only the `done` event with `stream: false`); aborting the signal frees the sequence at once. */
  generate(
    params: GenerateParams,
    signal?: AbortSignal,
    options?: GenerateOptions,
  ): AsyncIterable<GenerateEvent>;
  /** One vector per text, in order. */
  embed(texts: string[], options?: EmbedOptions, signal?: AbortSignal): Promise<Float32Array[]>;
  tokenize(text: string): Promise<number[]>;
  /** Sequences currently decoding (for metrics and tests). */
  busySequences(): number;
  /**
   * Engines backed by a supervised process (runners) report when it dies,
   * restarts and is ready again; returns the unsubscribe function.
   * In-process engines leave it out.
   */
  onAvailability?(listener: (availability: EngineAvailability) => void): () => void;
  dispose(): Promise<void>;
}

/** Creates engines; the host does not know whether they run in-process or in a runner. */
export interface EngineFactory {
  load(options: EngineLoadOptions, signal?: AbortSignal): Promise<Engine>;
}
