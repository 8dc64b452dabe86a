import {
  DisposedError,
  type GenerateParams,
  ModelNotFoundError,
  type RequestOptions,
  type Runtime,
  toSluiceError,
  validateEmbedTexts,
} from "@sluice/core";
import type { Telemetry } from "@sluice/telemetry";
import type { CascadeRouter } from "./CascadeRouter.ts";
import type { CachedGeneration, InferenceCache } from "./InferenceCache.ts";
import type { ModelAdmin } from "./ModelAdmin.ts";
import type { ModelSlot } from "./ModelSlot.ts";
import type { ContentPolicies } from "./policy/ContentPolicies.ts";
import { RequestLimits, type RequestLimitValues } from "./RequestLimits.ts";
import type {
  CallOptions,
  ChatRequest,
  EmbedRequest,
  EmbedResult,
  GenerateRequest,
  GenerateResult,
  HealthReport,
  SluiceGenerateEvent,
} from "./types.ts";

/** What createSluice hands the facade. */
export interface SluiceParts {
  slots: ReadonlyMap<string, ModelSlot>;
  defaultModel: string;
  admin: ModelAdmin;
  /** The one request path: queue → lease → engine → report. */
  runtime: Runtime;
  cache: InferenceCache;
  /** Set after construction when a cascade is configured. */
  cascade?: CascadeRouter;
  telemetry: Telemetry;
  ownsTelemetry: boolean;
  /** Called by the runtime's dispatch hook. */
  dispatchListeners: Set<(event: DispatchEvent) => void>;
  /** Input and token limits, read per request (hot-reloadable). */
  requestLimits: RequestLimits;
  effectiveConfig: Record<string, unknown>;
  /** Input and output content policies around every call. */
  policies: ContentPolicies;
}

/** Settings a running instance takes without a restart (see {@link Sluice.reconfigure}). */
export interface SluiceReconfiguration {
  limits?: Partial<RequestLimitValues>;
  /** New lifetimes of cache entries written from now on. */
  cacheTtlMs?: { embeddings?: number; results?: number };
  /** Confidence threshold per cascade tier id. */
  cascadeThresholds?: Readonly<Record<string, number>>;
}

/** The model id that asks for the cascade. */
export const AUTO_MODEL = "auto";

/** A request that left the queue and started. */
export interface DispatchEvent {
  model: string;
  caller: string;
  waitedMs: number;
}

/** Options of {@link Sluice.close}. */
export interface CloseOptions {
  /** Time in-flight requests get to finish before they are aborted. Defaults to `30000` ms. */
  deadlineMs?: number;
}

/**
 * The facade internal teams use: streaming generation, chat, batched
 * embeddings, model administration, health and metrics. Create it with
 * `createSluice(options)`; `close()` drains and frees everything.
 */
export class Sluice implements AsyncDisposable {
  /** Model administration (list, status, load, unload, verify, pull). */
  readonly models: ModelAdmin;
  readonly telemetry: Telemetry;
  readonly #p: SluiceParts;
  #closing: Promise<void> | undefined;

  /** @internal Use createSluice(). */
  constructor(parts: SluiceParts) {
    this.#p = parts;
    this.models = parts.admin;
    this.telemetry = parts.telemetry;
  }

  /** The cascade (model `"auto"`), when configured. */
  get cascade(): CascadeRouter | undefined {
    return this.#p.cascade;
  }

  /** Id of the model used when a request names none. */
  get defaultModel(): string {
    return this.#p.defaultModel;
  }

  /** The request limits in effect now. */
  get limits(): Readonly<RequestLimitValues> {
    return this.#p.requestLimits.values;
  }

  /**
   * Applies settings that need no restart, all or nothing: every value is
   * checked before any is applied. Returns what it applied.
   *
   * @throws RangeError naming an invalid value (nothing is applied).
   */
  reconfigure(changes: SluiceReconfiguration): string[] {
    const applied: string[] = [];
    const { limits, cacheTtlMs, cascadeThresholds } = changes;
    if (cascadeThresholds && !this.#p.cascade)
      throw new RangeError("cascadeThresholds need a cascade, and none is configured");
    // Check everything first, so a bad value leaves everything as it was.
    if (limits) new RequestLimits({ ...this.limits, ...limits });
    for (const [kind, ttl] of Object.entries(cacheTtlMs ?? {}))
      if (!(Number.isSafeInteger(ttl) && ttl >= 0))
        throw new RangeError(`cache ${kind} ttlMs must be a non-negative integer, got ${ttl}`);
    for (const [id, value] of Object.entries(cascadeThresholds ?? {}))
      if (!(value >= 0 && value <= 1))
        throw new RangeError(`threshold of ${id} must be in [0, 1], got ${value}`);
    if (limits) {
      this.#p.requestLimits.update(limits);
      applied.push(...Object.keys(limits).map((k) => `limits.${k}`));
    }
    if (cacheTtlMs) {
      this.#p.cache.setTtls(cacheTtlMs);
      applied.push(...Object.keys(cacheTtlMs).map((k) => `cache.${k}.ttlMs`));
    }
    if (cascadeThresholds) {
      this.#p.cascade?.setThresholds(cascadeThresholds);
      applied.push(...Object.keys(cascadeThresholds).map((id) => `cascade.${id}.threshold`));
    }
    return applied;
  }

  /** True once close() was called: new calls fail with DISPOSED. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Requests queued or running now. */
  get inFlight(): number {
    return this.#p.runtime.scheduler.pending;
  }

  /** Streams a completion of a raw prompt; the last event carries the stats. */
  generate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<SluiceGenerateEvent> {
    const { model, prompt, ...params } = request;
    return this.#policedStream("generate", model, { ...params, prompt }, options);
  }

  /** Streams a chat answer; the messages are formatted with the model's chat template. */
  chatStream(request: ChatRequest, options: CallOptions = {}): AsyncIterable<SluiceGenerateEvent> {
    const { model, messages, ...params } = request;
    return this.#policedStream("chat", model, { ...params, messages }, options);
  }

  /** The whole chat answer at once; identical concurrent deterministic requests share one computation. */
  chat(request: ChatRequest, options: CallOptions = {}): Promise<GenerateResult> {
    const { model, messages, ...params } = request;
    return this.#policedComplete("chat", model, { ...params, messages }, options);
  }

  /** The whole completion at once; identical concurrent deterministic requests share one computation. */
  complete(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResult> {
    const { model, prompt, ...params } = request;
    return this.#policedComplete("generate", model, { ...params, prompt }, options);
  }

  /** One vector per text, in order; cached vectors are reused and concurrent identical texts embedded once. */
  async embed(request: EmbedRequest, options: CallOptions = {}): Promise<EmbedResult> {
    const policies = this.#p.policies;
    if (policies.empty) return this.#embed(request, options);
    const context = { op: "embed", model: request.model, caller: options.caller ?? "anonymous" };
    return this.#embed({ ...request, texts: await policies.texts(request.texts, context) }, options);
  }

  async #embed(request: EmbedRequest, options: CallOptions): Promise<EmbedResult> {
    const started = performance.now();
    let model = request.model ?? this.#p.defaultModel;
    let reached = false;
    try {
      const slot = this.#slot(request.model);
      model = slot.id;
      validateEmbedTexts(request.texts);
      this.#p.requestLimits.checkEmbed(request.texts);
      const normalize = request.normalize === true;
      const sha = await this.#identity(slot, options.signal);
      const keys = request.texts.map((t) => this.#p.cache.embeddingKey(sha, t, normalize));
      let promptTokens = 0;
      const { vectors, cachedCount } = await this.#p.cache.embeddings(
        keys,
        async (missing) => {
          reached = true;
          const out = await this.#p.runtime.embedWithUsage(
            model,
            missing.map((i) => request.texts[i] as string),
            { normalize },
            this.#request({ priority: "batch", ...options }),
          );
          promptTokens = out.promptTokens;
          return out.vectors;
        },
        options.signal,
      );
      if (!reached) this.#finished("embed", model, "OK", started);
      return { model, vectors, promptTokens, cachedCount };
    } catch (err) {
      const error = toSluiceError(err);
      if (!reached) this.#finished("embed", model, error.code, started);
      throw error;
    }
  }

  /** Calls `listener` each time a request leaves the queue and starts on a sequence; returns the unsubscribe function. */
  onDispatch(listener: (event: DispatchEvent) => void): () => void {
    this.#p.dispatchListeners.add(listener);
    return () => this.#p.dispatchListeners.delete(listener);
  }

  /** Liveness and readiness: ready when the default model is loaded and the instance is not closing. */
  health(): HealthReport {
    const models = [...this.#p.slots.values()].map((s) => ({ id: s.id, state: s.state }));
    const defaultState = this.#p.slots.get(this.#p.defaultModel)?.state;
    if (this.#closing) return { status: "closing", ready: false, models };
    return {
      status: models.some((m) => m.state === "broken") ? "degraded" : "ok",
      ready: defaultState === "ready",
      models,
    };
  }

  /** Prometheus exposition of this instance's metrics. */
  async metrics(): Promise<{ contentType: string; body: string }> {
    const rendered = await this.telemetry.renderMetrics();
    return rendered as unknown as { contentType: string; body: string };
  }

  /** The configuration in effect, without secrets. */
  effectiveConfig(): Record<string, unknown> {
    return this.#p.effectiveConfig;
  }

  /**
   * Refuses new work, lets in-flight requests finish within the deadline (then
   * aborts them), unloads every model and flushes telemetry. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      // The runtime refuses new work, drains, fails what is left with DISPOSED at the deadline and unloads.
      await this.#p.runtime.close(options.deadlineMs ?? 30_000);
      await Promise.all([...this.#p.slots.values()].map((s) => s.unload().catch(() => undefined)));
      await this.#p.cache.close();
      if (this.#p.ownsTelemetry) await this.telemetry.shutdown();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Input policies before anything is cached, queued or inferred; output policies on the fly. */
  #policedStream(
    op: "generate" | "chat",
    model: string | undefined,
    params: GenerateParams,
    options: CallOptions,
  ): AsyncIterable<SluiceGenerateEvent> {
    const policies = this.#p.policies;
    if (policies.empty) return this.#stream(op, model, params, options);
    const context = { op, model, caller: options.caller ?? "anonymous" };
    const self = this;
    return (async function* () {
      const checked = await policies.input(params, context);
      yield* policies.stream(self.#stream(op, model, checked, options), context);
    })();
  }

  async #policedComplete(
    op: "generate" | "chat",
    model: string | undefined,
    params: GenerateParams,
    options: CallOptions,
  ): Promise<GenerateResult> {
    const policies = this.#p.policies;
    if (policies.empty) return this.#complete(op, model, params, options);
    const context = { op, model, caller: options.caller ?? "anonymous" };
    const checked = await policies.input(params, context);
    return policies.result(await this.#complete(op, model, checked, options), context);
  }

  async *#stream(
    op: "generate" | "chat",
    modelId: string | undefined,
    params: GenerateParams,
    options: CallOptions,
  ): AsyncGenerator<SluiceGenerateEvent> {
    // Limits first (they fill in the default token limit, which is part of the cache key).
    params = this.#p.requestLimits.applyGenerate(params);
    if (modelId === AUTO_MODEL && this.#p.cascade) {
      yield* this.#cascaded(op, params, options);
      return;
    }
    const started = performance.now();
    let model = modelId ?? this.#p.defaultModel;
    let key: string | undefined;
    let cached: CachedGeneration | undefined;
    try {
      const slot = this.#slot(modelId === AUTO_MODEL ? undefined : modelId);
      model = slot.id;
      key = await this.#generationKey(slot, params, options.signal);
      cached = await this.telemetry.withSpan("cache", () => this.#p.cache.getGeneration(key));
    } catch (err) {
      const error = toSluiceError(err);
      this.#finished(op, model, error.code, started);
      throw error;
    }
    if (cached) {
      // A cached answer never queues; streaming callers still get a stream.
      this.#finished(op, model, "OK", started);
      if (cached.text.length > 0) yield { type: "token", text: cached.text, model, cached: true };
      const calls = cached.toolCalls ? { toolCalls: cached.toolCalls } : {};
      yield { type: "done", text: cached.text, stats: cached.stats, ...calls, model, cached: true };
      return;
    }
    for await (const event of this.#p.runtime.generate(model, params, this.#request(options))) {
      if (event.type === "done") {
        const calls = event.toolCalls ? { toolCalls: event.toolCalls } : {};
        void this.#p.cache.setGeneration(key, { text: event.text, stats: event.stats, ...calls });
      }
      yield { ...event, model };
    }
  }

  async *#cascaded(
    op: "generate" | "chat",
    params: GenerateParams,
    options: CallOptions,
  ): AsyncGenerator<SluiceGenerateEvent> {
    if (this.#closing) throw new DisposedError("Sluice is closing; no new requests are accepted");
    this.#p.runtime.validate(params);
    const cascade = this.#p.cascade as CascadeRouter;
    const started = performance.now();
    let code = "OK";
    try {
      const r = await cascade.generate(params, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { deadlineMs: options.timeoutMs } : {}),
        ...(options.caller ? { key: options.caller } : {}),
      });
      const info = {
        tier: r.tier,
        degraded: r.degraded,
        lowConfidence: r.lowConfidence,
        confidence: r.confidence.score,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.arm ? { arm: r.arm } : {}),
        trace: r.trace,
      };
      // Escalation needs whole answers, so a cascaded stream arrives as one piece.
      if (r.text.length > 0) yield { type: "token", text: r.text, model: r.tier, cascade: info };
      yield { type: "done", text: r.text, stats: r.stats, model: r.tier, cascade: info };
    } catch (err) {
      const error = toSluiceError(err);
      code = error.code;
      throw error;
    } finally {
      this.telemetry.record.requestFinished({
        op: `${op}.cascade`,
        model: AUTO_MODEL,
        code,
        durationSeconds: (performance.now() - started) / 1000,
      });
    }
  }

  async #complete(
    op: "generate" | "chat",
    modelId: string | undefined,
    params: GenerateParams,
    options: CallOptions,
  ): Promise<GenerateResult> {
    params = this.#p.requestLimits.applyGenerate(params);
    if (modelId === AUTO_MODEL && this.#p.cascade) {
      for await (const event of this.#cascaded(op, params, options))
        if (event.type === "done")
          return {
            model: event.model,
            text: event.text,
            stats: event.stats,
            cached: false,
            synthetic: this.#p.slots.get(event.model)?.options.synthetic === true,
            ...(event.cascade ? { cascade: event.cascade } : {}),
          };
      throw new DisposedError("the generation ended without a result");
    }
    const started = performance.now();
    let model = modelId ?? this.#p.defaultModel;
    let reached = false;
    try {
      const slot = this.#slot(modelId === AUTO_MODEL ? undefined : modelId);
      model = slot.id;
      const key = await this.#generationKey(slot, params, options.signal);
      const compute = (signal?: AbortSignal) => {
        reached = true;
        const request = this.#request(signal ? { ...options, signal } : options);
        return this.#p.runtime.complete(model, params, request);
      };
      const answer =
        key === undefined
          ? { value: await compute(), outcome: "miss" as const }
          : await this.#p.cache.generation(key, compute, options.signal);
      if (!reached) this.#finished(op, model, "OK", started);
      const { toolCalls, logprobs } = answer.value;
      return {
        model,
        text: answer.value.text,
        stats: answer.value.stats,
        cached: answer.outcome !== "miss",
        synthetic: slot.options.synthetic === true,
        ...(toolCalls ? { toolCalls } : {}),
        ...(logprobs ? { logprobs } : {}),
      };
    } catch (err) {
      const error = toSluiceError(err);
      if (!reached) this.#finished(op, model, error.code, started);
      throw error;
    }
  }

  /**
   * The result-cache key of a generation, found before any queueing: the
   * request is validated first (nothing invalid is serialized), then the
   * model's identity (file digest) is resolved. Undefined when not cacheable.
   */
  async #generationKey(
    slot: ModelSlot,
    params: GenerateParams,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    this.#p.runtime.validate(params);
    const { prompt, messages, ...rest } = params;
    if (!this.#p.cache.cacheable(rest)) return undefined;
    const sha = await this.#identity(slot, signal);
    return this.#p.cache.generationKey(sha, prompt ?? messages, rest);
  }

  /** The model file's digest when caching is on (verified once, then remembered by the slot). */
  async #identity(slot: ModelSlot, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (!this.#p.cache.enabled) return undefined;
    return (slot.file ?? (await slot.pull(undefined, signal))).sha256;
  }

  #slot(id: string | undefined): ModelSlot {
    if (this.#closing) throw new DisposedError("Sluice is closing; no new requests are accepted");
    const slot = this.#p.slots.get(id ?? this.#p.defaultModel);
    if (!slot) throw new ModelNotFoundError(`model ${id} is not served here`, { details: { model: id } });
    return slot;
  }

  /** The runtime's per-request options from the SDK's call options. */
  #request(options: CallOptions): RequestOptions {
    return {
      caller: options.caller ?? "anonymous",
      priority: options.priority ?? "interactive",
      ...(options.timeoutMs !== undefined && options.timeoutMs > 0 ? { deadlineMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  /** Records a request the runtime never saw (a cache hit, a request refused before queueing). */
  #finished(op: string, model: string, code: string, started: number): void {
    this.telemetry.record.requestFinished({
      op,
      model,
      code,
      durationSeconds: (performance.now() - started) / 1000,
    });
  }
}
