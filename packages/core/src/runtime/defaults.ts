/**
 * The one place Sluice's defaults live. The config schema, the SDK's options,
 * the engines and the memory estimator import these instead of restating
 * them, so a default can never disagree with itself.
 */

/** Defaults of a model load (EngineLoadOptions). */
export const LOAD_DEFAULTS = {
  /** Tokens of context per sequence; never the model's full training context (128k for LFM2: 1.7 GB). */
  contextSize: 4096,
  /** Sequences decoded together per model. */
  sequences: 4,
  /** Prompt tokens evaluated per batch. */
  batchSize: 512,
  useMmap: true,
  kvCacheType: "f16",
  embeddingContexts: 1,
  /** Streamed tokens are delivered as they are sampled (see EngineLoadOptions.streamIntervalMs). */
  streamIntervalMs: 0,
} as const;

/** Longest EngineLoadOptions.streamIntervalMs the engine, the SDK and the config accept. */
export const MAX_STREAM_INTERVAL_MS = 1000;

/** Defaults of the request limits the SDK and the server enforce. */
export const LIMIT_DEFAULTS = {
  /** Requests waiting per model beyond its busy sequences before QUEUE_FULL. */
  maxQueueDepth: 64,
  /** Deadline of a request from admission to the last token, in milliseconds. */
  requestTimeoutMs: 120_000,
  /** Longest prompt, chat message total or embedding text, in characters. */
  maxInputChars: 32_768,
  /** Most tokens one request may generate. */
  maxTokens: 2048,
  /** Tokens generated when a request sets no limit. */
  defaultMaxTokens: 256,
  /** Most texts in one embeddings request. */
  maxEmbeddingInputs: 64,
} as const;

/** Defaults of the model cascade. */
export const CASCADE_DEFAULTS = {
  /** Answers scoring below this confidence escalate to the next tier. */
  confidenceThreshold: 0.5,
} as const;

/** Share of the machine's memory (or the container's limit) an `"auto"` memory budget takes. */
export const AUTO_MEMORY_BUDGET_SHARE = 0.5;
