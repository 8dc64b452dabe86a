import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { LATENCY_BUCKETS_SECONDS } from "./buckets.ts";

/** Breaker states as `sluice_breaker_state` values: closed 0, half-open 1, open 2. */
export const BreakerStateValue = { closed: 0, halfOpen: 1, open: 2 } as const;
export type BreakerState = keyof typeof BreakerStateValue;

/**
 * Every metric of the observability contract, registered on one registry.
 * Fields are prom-client objects so callers can use the full prom-client API;
 * {@link MetricsRecorder} offers event-shaped helpers on top.
 */
export interface SluiceMetrics {
  /** End-to-end request latency; `op` is generate | chat | embed | …, `outcome` see `outcomeOf`. */
  readonly requestDuration: Histogram<"op" | "model" | "outcome">;
  /** Finished requests by stable error code (`OK` for success). */
  readonly requests: Counter<"op" | "model" | "code">;
  /** Time a request waited in the model's queue before a sequence took it. */
  readonly queueWait: Histogram<"model">;
  /** Time from admission to the first generated token. */
  readonly timeToFirstToken: Histogram<"model">;
  /** Tokens processed; `kind` is prompt | generated. */
  readonly tokens: Counter<"model" | "kind">;
  /** Generations by whether they continued a kept sequence; `result` is hit | miss. */
  readonly sequenceReuse: Counter<"model" | "result">;
  /** Prompt tokens not evaluated because a kept sequence already held them. */
  readonly reusedPromptTokens: Counter<"model">;
  /** Requests waiting in the model's queue now. */
  readonly queueDepth: Gauge<"model">;
  /** Configured bound of the model's queue, so saturation is depth / capacity. */
  readonly queueCapacity: Gauge<"model">;
  /** Sequences of the model's context that are decoding now. */
  readonly sequencesBusy: Gauge<"model">;
  /** Memory of a loaded model; `kind` is estimate (from GGUF) | rss (measured). */
  readonly modelMemory: Gauge<"model" | "kind">;
  /** Memory budget the model host admits loads against. */
  readonly memoryBudget: Gauge;
  /** Breaker state per model: 0 closed, 1 half-open, 2 open. */
  readonly breakerState: Gauge<"model">;
  /** Cache lookups; `cache` is embedding | result, `result` hit | miss | shared (single-flight) | error. */
  readonly cacheRequests: Counter<"cache" | "result">;
  /** Model loads; `outcome` is success | failure | rejected (over budget). */
  readonly modelLoads: Counter<"model" | "outcome">;
  /** Runner process restarts after a crash, kill or hang. */
  readonly runnerRestarts: Counter<"model">;
  /** Config reloads; `outcome` is applied | rejected | unchanged | restart_required. */
  readonly configReloads: Counter<"outcome">;
  readonly contentPolicy: Counter<"stage" | "action" | "policy">;
  /** p95 latency target per operation, from config; the alert rules compare against it. */
  readonly latencyTarget: Gauge<"op">;
  /** Whether a Redis client of this replica is connected (1) or not (0); `client` is cache | rate_limit. */
  readonly redisConnected: Gauge<"client">;
  /**
   * Reports `probe()` as `sluice_redis_connected{client}` at every scrape. One
   * probe per client; a later call replaces it.
   */
  observeRedis(client: RedisClientName, probe: () => boolean): void;
}

/** The Redis clients a replica may hold. */
export type RedisClientName = "cache" | "rate_limit";

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /** Histogram buckets in seconds. Defaults to `LATENCY_BUCKETS_SECONDS` (1 ms … 60 s). */
  buckets?: readonly number[];
}

/** Registers the Sluice metric set on `registry`. Call once per registry. */
export function createMetrics(registry: Registry, options: CreateMetricsOptions = {}): SluiceMetrics {
  const buckets = [...(options.buckets ?? LATENCY_BUCKETS_SECONDS)];
  const registers = [registry];
  const redisProbes = new Map<RedisClientName, () => boolean>();
  const redisConnected = new Gauge({
    name: "sluice_redis_connected",
    help: "Whether this replica's Redis client is connected (1) or not (0), by client (cache | rate_limit).",
    labelNames: ["client"] as const,
    registers,
    collect() {
      for (const [client, probe] of redisProbes) this.set({ client }, probe() ? 1 : 0);
    },
  });
  return {
    redisConnected,
    observeRedis: (client, probe) => {
      redisProbes.set(client, probe);
    },
    requestDuration: new Histogram({
      name: "sluice_request_duration_seconds",
      help: "End-to-end request latency in seconds.",
      labelNames: ["op", "model", "outcome"] as const,
      buckets,
      registers,
    }),
    requests: new Counter({
      name: "sluice_requests_total",
      help: "Finished requests by stable error code (OK for success).",
      labelNames: ["op", "model", "code"] as const,
      registers,
    }),
    queueWait: new Histogram({
      name: "sluice_queue_wait_seconds",
      help: "Time a request waited in the model queue, in seconds.",
      labelNames: ["model"] as const,
      buckets,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "sluice_time_to_first_token_seconds",
      help: "Time from admission to the first generated token, in seconds.",
      labelNames: ["model"] as const,
      buckets,
      registers,
    }),
    tokens: new Counter({
      name: "sluice_tokens_total",
      help: "Tokens processed, by kind (prompt | generated).",
      labelNames: ["model", "kind"] as const,
      registers,
    }),
    sequenceReuse: new Counter({
      name: "sluice_sequence_reuse_total",
      help: "Generations by whether their prompt extended a kept sequence (hit) or not (miss).",
      labelNames: ["model", "result"] as const,
      registers,
    }),
    reusedPromptTokens: new Counter({
      name: "sluice_prompt_tokens_reused_total",
      help: "Prompt tokens not evaluated because a kept sequence already held them.",
      labelNames: ["model"] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: "sluice_queue_depth",
      help: "Requests waiting in the model queue.",
      labelNames: ["model"] as const,
      registers,
    }),
    queueCapacity: new Gauge({
      name: "sluice_queue_capacity",
      help: "Bound of the model queue.",
      labelNames: ["model"] as const,
      registers,
    }),
    sequencesBusy: new Gauge({
      name: "sluice_sequences_busy",
      help: "Context sequences decoding now.",
      labelNames: ["model"] as const,
      registers,
    }),
    modelMemory: new Gauge({
      name: "sluice_model_memory_bytes",
      help: "Memory of a loaded model in bytes, by kind (estimate | rss).",
      labelNames: ["model", "kind"] as const,
      registers,
    }),
    memoryBudget: new Gauge({
      name: "sluice_memory_budget_bytes",
      help: "Memory budget for loaded models in bytes.",
      registers,
    }),
    breakerState: new Gauge({
      name: "sluice_breaker_state",
      help: "Circuit breaker state per model: 0 closed, 1 half-open, 2 open.",
      labelNames: ["model"] as const,
      registers,
    }),
    cacheRequests: new Counter({
      name: "sluice_cache_requests_total",
      help: "Cache lookups by cache (embedding | result) and result (hit | miss | shared | error).",
      labelNames: ["cache", "result"] as const,
      registers,
    }),
    modelLoads: new Counter({
      name: "sluice_model_loads_total",
      help: "Model loads by outcome (success | failure | rejected).",
      labelNames: ["model", "outcome"] as const,
      registers,
    }),
    runnerRestarts: new Counter({
      name: "sluice_runner_restarts_total",
      help: "Runner process restarts.",
      labelNames: ["model"] as const,
      registers,
    }),
    configReloads: new Counter({
      name: "sluice_config_reloads_total",
      help: "Configuration reloads by outcome (applied | rejected | unchanged | restart_required).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    contentPolicy: new Counter({
      name: "sluice_content_policy_total",
      help: "Content policy interventions by stage (input | output), action (redact | block) and policy.",
      labelNames: ["stage", "action", "policy"] as const,
      registers,
    }),
    latencyTarget: new Gauge({
      name: "sluice_latency_target_seconds",
      help: "Configured p95 latency target per operation, in seconds.",
      labelNames: ["op"] as const,
      registers,
    }),
  };
}
