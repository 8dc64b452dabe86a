/**
 * The engine port: everything above it (model host, scheduler, cascade, SDK)
 * talks to inference only through these types, so an in-process adapter and a
 * runner-process proxy are interchangeable.
 */

/** How a model is loaded. Hardware-dependent values accept `"auto"`. */
export interface EngineLoadOptions {
  /** Absolute path of a verified GGUF file. */
  modelPath: string;
  /** Tokens of context per sequence. Defaults to `2048` (never the model's full training context). */
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
  /** KV-cache element type. Defaults to `"f16"`. */
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
  stop?: string[];
  /** 0 = greedy. Defaults to `0.8`. */
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  repeatPenalty?: number;
  /** JSON schema the output must satisfy (grammar-constrained decoding). */
  jsonSchema?: Record<string, unknown>;
  /** Collect per-token probabilities to compute a confidence score. Defaults to `false`. */
  confidence?: boolean;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ChatContentPart[];
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
  finishReason: "stop" | "length" | "abort";
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
  | { type: "token"; text: string }
  | { type: "done"; text: string; stats: GenerateStats };

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
}

/**
 * A loaded model. Implementations: the in-process node-llama-cpp adapter and
 * the runner-process proxy. All methods reject with SluiceErrors.
 */
export interface Engine extends AsyncDisposable {
  readonly info: EngineInfo;
  readonly disposed: boolean;
  /** Streams tokens; aborting the signal frees the sequence at once. */
  generate(params: GenerateParams, signal?: AbortSignal): AsyncIterable<GenerateEvent>;
  /** One vector per text, in order. */
  embed(texts: string[], options?: EmbedOptions, signal?: AbortSignal): Promise<Float32Array[]>;
  tokenize(text: string): Promise<number[]>;
  /** Sequences currently decoding (for metrics and tests). */
  busySequences(): number;
  dispose(): Promise<void>;
}

/** Creates engines; the host does not know whether they run in-process or in a runner. */
export interface EngineFactory {
  load(options: EngineLoadOptions, signal?: AbortSignal): Promise<Engine>;
}
