import type { CacheOptions } from "@sluice/cache";
import type { CascadeConfigInput } from "@sluice/cascade";
import type {
  EngineFactory,
  GpuSetting,
  ModelPolicyOptions,
  ModelStore,
  ModelStoreOptions,
  RunnerEngineFactoryOptions,
} from "@sluice/core";
import { LIMIT_DEFAULTS as CORE_LIMITS, LOAD_DEFAULTS, MAX_STREAM_INTERVAL_MS } from "@sluice/core";
import type { Telemetry, TelemetryOptions } from "@sluice/telemetry";
import type { ContentPolicy } from "./policy/ContentPolicy.ts";
import { checkedRequestLimits, type RequestLimitValues } from "./RequestLimits.ts";

/** One model the Sluice instance may serve. */
export interface SluiceModelOptions {
  /** Name clients use (`model` field). Letters, digits, `.`, `_`, `-`, `:`. */
  id: string;
  /** Local GGUF path, catalog id or `hf:`/https URI. Defaults to `id`. */
  source?: string;
  /** What the model is for. Defaults to `"chat"`. */
  role?: "chat" | "embed";
  /** Tokens of context per sequence. Defaults to `LOAD_DEFAULTS.contextSize` (`4096`). */
  contextSize?: number;
  /** Prompt tokens evaluated per batch. Defaults to `LOAD_DEFAULTS.batchSize` (`512`). */
  batchSize?: number;
  /** Parallel sequences (continuous batching). Defaults to `4`. */
  sequences?: number;
  /** CPU threads. Defaults to `"auto"` (every physical core, fewer while other processes keep cores busy). */
  threads?: number | "auto";
  /**
   * Keep finished requests' sequences so that a chat's next turn evaluates only
   * its new messages (see EngineLoadOptions.sequenceReuse). Defaults to `true`.
   */
  sequenceReuse?: boolean;
  /**
   * Milliseconds a lone streamed request may generate natively before its tokens
   * are delivered together (see EngineLoadOptions.streamIntervalMs): more tokens/s,
   * burstier streams. `0` streams token by token. Defaults to `0`.
   */
  streamIntervalMs?: number;
  /** Embedding contexts (0 disables embed on this model). Defaults to `1`. */
  embeddingContexts?: number;
  /** Load at start-up instead of on first use. Defaults to `false`. */
  preload?: boolean;
  /** The weights are random (synthetic GGUF): answers are noise. Shown to clients. Defaults to `false`. */
  synthetic?: boolean;
  /** Multimodal projector path (vision models). Defaults to none. */
  mmproj?: string;
}

/** Limits the facade enforces before any model work. */
export interface SluiceLimits extends Partial<RequestLimitValues> {
  /** Requests allowed to wait per model beyond its busy sequences; more → QUEUE_FULL. Defaults to `64`. */
  maxQueue?: number;
  /** Deadline of one generate/chat/embed call in milliseconds; `0` = none. Defaults to `120000`. */
  requestTimeoutMs?: number;
}

/** Which entries the caches keep and for how long (each kind apart). */
export interface CachingOptions {
  /** Embeddings. Defaults to on, `86400000` ms (one day). */
  embeddings?: { enabled?: boolean; ttlMs?: number };
  /** Deterministic generations (temperature 0 or a fixed seed). Defaults to on, `600000` ms (ten minutes). */
  results?: { enabled?: boolean; ttlMs?: number };
}

/** A model file the resolver found and checked. */
export interface ResolvedModelFile {
  path: string;
  /** sha256 of the file (64 hex digits); keys the caches. */
  sha256: string;
  size: number;
}

/** Progress of a model download or verification. */
export interface PullProgress {
  model: string;
  phase: "resolve" | "download" | "verify" | "done";
  transferredBytes: number;
  totalBytes: number;
}

/** The model store as the SDK sees it: source → verified local file. */
export interface ModelResolver {
  resolve(
    source: string,
    options?: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal },
  ): Promise<ResolvedModelFile>;
  /** Re-hashes the file against the expected digest; throws MODEL_CORRUPT on mismatch. */
  verify(source: string): Promise<ResolvedModelFile>;
}

/** Options of {@link createSluice}. */
export interface SluiceOptions {
  models: SluiceModelOptions[];
  /** Model used when a request names none. Defaults to the first chat model. */
  defaultModel?: string;
  /** `"runner"` isolates each model in a child process; `"in-process"` loads it here. Defaults to `"in-process"`. */
  runtime?: "in-process" | "runner";
  /**
   * GPU backend node-llama-cpp loads (in this process or in every runner):
   * `false` = CPU only, `"auto"` = the best installed prebuilt, or a named
   * backend (a failed load when its prebuilt is missing). Defaults to `false`.
   */
  gpu?: GpuSetting;
  /** Most models loaded at once; one more unloads the least recently used idle model first. Defaults to no cap. */
  maxLoaded?: number;
  /** Runner supervision (heartbeat and hang timeouts, restart backoff) and sandbox when `runtime` is `"runner"`. Defaults to the factory's (sandbox `off`). */
  runner?: Pick<
    RunnerEngineFactoryOptions,
    "heartbeatTimeoutMs" | "hangTimeoutMs" | "restart" | "loadTimeoutMs" | "sandbox"
  >;
  /** Breaker and retry settings of every model. Defaults to the model host's. */
  policy?: ModelPolicyOptions;
  /** Overrides the engine factory `runtime` picks (tests, custom adapters). */
  engineFactory?: EngineFactory;
  /**
   * Input and output content policies applied to every generate, chat and
   * embed call, in order (see `denyListPolicy`, `piiRedactionPolicy`; plug a
   * moderation model in through the same interface). Defaults to none.
   */
  contentPolicies?: readonly ContentPolicy[];
  /** Overrides the model resolver. Defaults to the @sluice/core model store when `store` is given, else local files only. */
  resolver?: ModelResolver;
  /** Model store (catalog, downloads, sha256 verification, quarantine), or its options. Defaults to none: local files in `modelDirs`. */
  store?: ModelStore | ModelStoreOptions;
  /** Extra directories searched for model files. Defaults to none. */
  modelDirs?: string[];
  limits?: SluiceLimits;
  /** Milliseconds an idle model that is not preloaded stays loaded. Defaults to `300000`. */
  keepAliveMs?: number;
  /**
   * Memory all loaded models may use (GGUF estimates); idle models are evicted
   * least recently used first, busy ones make loads fail with OUT_OF_MEMORY_BUDGET.
   * `"auto"` = half of physical memory or of the container's cgroup limit,
   * whichever is smaller (autoMemoryBudgetBytes). Defaults to none (no budget).
   */
  memoryBudgetBytes?: number | "auto";
  /**
   * Cascade over configured models (tier ids are model ids): requests for model
   * `"auto"` are routed by health and confidence. Defaults to none (`"auto"` = the default model).
   */
  cascade?: CascadeConfigInput;
  /** Embedding and result caches; `false` turns both off. Defaults to memory-only caches. */
  cache?: CacheOptions | false;
  /** What the caches keep per kind (switches and lifetimes). Defaults to both kinds on with their default lifetimes. */
  caching?: CachingOptions;
  /** A telemetry instance to report into, or options to create one. Defaults to a silent one. */
  telemetry?: Telemetry | TelemetryOptions;
  /** Config snapshot shown by `effectiveConfig()` (secrets removed by the caller). Defaults to these options. */
  effectiveConfig?: Record<string, unknown>;
}

/** Defaults of SluiceLimits: core's, under the SDK's names. */
export const LIMIT_DEFAULTS = {
  maxQueue: CORE_LIMITS.maxQueueDepth,
  requestTimeoutMs: CORE_LIMITS.requestTimeoutMs,
  maxTokens: CORE_LIMITS.maxTokens,
  defaultMaxTokens: CORE_LIMITS.defaultMaxTokens,
  maxInputChars: CORE_LIMITS.maxInputChars,
  maxEmbeddingInputs: CORE_LIMITS.maxEmbeddingInputs,
} as const;

/** Defaults of SluiceModelOptions' load fields. */
export const MODEL_DEFAULTS = {
  contextSize: LOAD_DEFAULTS.contextSize,
  sequences: LOAD_DEFAULTS.sequences,
  batchSize: LOAD_DEFAULTS.batchSize,
  embeddingContexts: LOAD_DEFAULTS.embeddingContexts,
  streamIntervalMs: LOAD_DEFAULTS.streamIntervalMs,
} as const;

const MODEL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Throws RangeError naming the first invalid option. */
export function checkOptions(options: SluiceOptions): void {
  if (!Array.isArray(options.models) || options.models.length === 0)
    throw new RangeError("models must list at least one model, got none");
  const seen = new Set<string>();
  for (const m of options.models) {
    if (!MODEL_ID.test(m.id))
      throw new RangeError(`models[].id must match ${MODEL_ID}, got ${JSON.stringify(m.id)}`);
    if (seen.has(m.id)) throw new RangeError(`models[].id must be unique, got ${m.id} twice`);
    seen.add(m.id);
    const interval = m.streamIntervalMs;
    if (
      interval !== undefined &&
      !(Number.isSafeInteger(interval) && interval >= 0 && interval <= MAX_STREAM_INTERVAL_MS)
    )
      throw new RangeError(
        `models[].streamIntervalMs must be an integer from 0 to ${MAX_STREAM_INTERVAL_MS}, got ${interval}`,
      );
  }
  if (options.defaultModel !== undefined && !seen.has(options.defaultModel))
    throw new RangeError(`defaultModel must name a configured model, got ${options.defaultModel}`);
  const { maxQueue, requestTimeoutMs, ...requestLimits } = options.limits ?? {};
  for (const [key, v] of [
    ["maxQueue", maxQueue],
    ["requestTimeoutMs", requestTimeoutMs],
  ] as const)
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0))
      throw new RangeError(`limits.${key} must be a non-negative integer, got ${v}`);
  // The same check as a hot reload's, before anything is created.
  checkedRequestLimits(requestLimits);
}
