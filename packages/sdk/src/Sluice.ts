import {
  DisposedError,
  type GenerateEvent,
  type GenerateParams,
  InvalidInputError,
  type ModelHost,
  type ModelLease,
  ModelNotFoundError,
  type Scheduler,
  type Slot,
  toSluiceError,
  validateEmbedTexts,
  validateGenerateParams,
} from "@sluice/core";
import type { Telemetry } from "@sluice/telemetry";
import type { CascadeRouter } from "./CascadeRouter.ts";
import type { InferenceCache } from "./InferenceCache.ts";
import type { ModelAdmin } from "./ModelAdmin.ts";
import type { ModelSlot } from "./ModelSlot.ts";
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
  scheduler: Scheduler;
  host: ModelHost;
  cache: InferenceCache;
  /** Set after construction when a cascade is configured. */
  cascade?: CascadeRouter;
  telemetry: Telemetry;
  ownsTelemetry: boolean;
  limits: { maxQueue: number; requestTimeoutMs: number; maxTokens: number };
  effectiveConfig: Record<string, unknown>;
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
  readonly #dispatchListeners = new Set<(event: DispatchEvent) => void>();
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

  /** True once close() was called: new calls fail with DISPOSED. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Requests queued or running now. */
  get inFlight(): number {
    return this.#p.scheduler.pending;
  }

  /** Streams a completion of a raw prompt; the last event carries the stats. */
  generate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<SluiceGenerateEvent> {
    const { model, prompt, ...params } = request;
    return this.#stream("generate", model, { ...params, prompt }, options);
  }

  /** Streams a chat answer; the messages are formatted with the model's chat template. */
  chatStream(request: ChatRequest, options: CallOptions = {}): AsyncIterable<SluiceGenerateEvent> {
    const { model, messages, ...params } = request;
    return this.#stream("chat", model, { ...params, messages }, options);
  }

  /** The whole chat answer at once. */
  chat(request: ChatRequest, options: CallOptions = {}): Promise<GenerateResult> {
    return this.#collect(this.chatStream(request, options));
  }

  /** The whole completion at once. */
  complete(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResult> {
    return this.#collect(this.generate(request, options));
  }

  /** One vector per text, in order; cached vectors are reused. */
  async embed(request: EmbedRequest, options: CallOptions = {}): Promise<EmbedResult> {
    const started = performance.now();
    const slot = this.#slot(request.model);
    let code = "OK";
    try {
      validateEmbedTexts(request.texts);
      const call = await this.#acquire(slot.id, { priority: "batch", ...options });
      const lease = await this.telemetry
        .withSpan("load", () => slot.lease(call.signal), { "sluice.model": slot.id })
        .catch((err: unknown) => {
          call.release();
          throw err;
        });
      try {
        const engine = lease.engine;
        const normalize = request.normalize === true;
        const sha = slot.file?.sha256;
        const keys = request.texts.map((t) => this.#p.cache.embeddingKey(sha, t, normalize));
        const vectors = await Promise.all(keys.map((k) => this.#p.cache.getEmbedding(k)));
        const missing = vectors.flatMap((v, i) => (v === undefined ? [i] : []));
        let promptTokens = 0;
        if (missing.length > 0) {
          const texts = missing.map((i) => request.texts[i] as string);
          const fresh = await this.telemetry.withSpan(
            "embed",
            () => engine.embed(texts, { normalize }, call.signal),
            {
              "sluice.model": slot.id,
              "sluice.texts": texts.length,
            },
          );
          for (const [j, i] of missing.entries()) {
            vectors[i] = fresh[j];
            void this.#p.cache.setEmbedding(keys[i], fresh[j] as Float32Array);
          }
          for (const t of texts) promptTokens += (await engine.tokenize(t)).length;
          this.telemetry.record.tokens(slot.id, promptTokens, 0);
        }
        this.#p.host.reportSuccess(slot.id);
        return {
          model: slot.id,
          vectors: vectors as Float32Array[],
          promptTokens,
          cachedCount: request.texts.length - missing.length,
        };
      } catch (err) {
        this.#p.host.reportFailure(slot.id, err);
        throw err;
      } finally {
        void lease.release().catch(() => undefined);
        call.release();
      }
    } catch (err) {
      const error = toSluiceError(err);
      code = error.code;
      throw error;
    } finally {
      this.#finished("embed", slot.id, code, started);
    }
  }

  /** Calls `listener` each time a request leaves the queue and starts on a sequence; returns the unsubscribe function. */
  onDispatch(listener: (event: DispatchEvent) => void): () => void {
    this.#dispatchListeners.add(listener);
    return () => this.#dispatchListeners.delete(listener);
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
      const deadlineMs = options.deadlineMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), deadlineMs);
      });
      // close() refuses new work and resolves once queued and running requests are done.
      const outcome = await Promise.race([
        this.#p.scheduler.close().then(() => "drained" as const),
        deadline,
      ]);
      clearTimeout(timer);
      if (outcome === "deadline") this.#p.scheduler.destroy();
      await Promise.all([...this.#p.slots.values()].map((s) => s.unload().catch(() => undefined)));
      await this.#p.host.close(1000);
      await this.#p.cache.close();
      if (this.#p.ownsTelemetry) await this.telemetry.shutdown();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#stream(
    op: "generate" | "chat",
    modelId: string | undefined,
    params: GenerateParams,
    options: CallOptions,
  ): AsyncGenerator<SluiceGenerateEvent> {
    if (modelId === AUTO_MODEL && this.#p.cascade) {
      yield* this.#cascaded(op, params, options);
      return;
    }
    const started = performance.now();
    const slot = this.#slot(modelId === AUTO_MODEL ? undefined : modelId);
    const model = slot.id;
    let code = "OK";
    try {
      const maxTokens = params.maxTokens ?? 256;
      if (maxTokens > this.#p.limits.maxTokens)
        throw new InvalidInputError(`maxTokens must be at most ${this.#p.limits.maxTokens}`, {
          details: { field: "maxTokens", value: maxTokens },
        });
      validateGenerateParams(params);
      const call = await this.#acquire(model, options);
      const decode = this.telemetry.tracing.tracer.startSpan("sluice.decode", {
        attributes: { "sluice.stage": "decode", "sluice.model": model },
      });
      let lease: ModelLease | undefined;
      try {
        lease = await this.telemetry.withSpan("load", () => slot.lease(call.signal), {
          "sluice.model": model,
        });
        const engine = lease.engine;
        const { prompt, messages, ...rest } = params;
        const key = this.#p.cache.generationKey(slot.file?.sha256, prompt ?? messages, rest);
        const cached = await this.telemetry.withSpan("cache", () => this.#p.cache.getGeneration(key));
        if (cached) {
          if (cached.text.length > 0) yield { type: "token", text: cached.text, model, cached: true };
          yield { type: "done", text: cached.text, stats: cached.stats, model, cached: true };
          return;
        }
        for await (const event of engine.generate(params, call.signal) as AsyncIterable<GenerateEvent>) {
          if (event.type === "done") {
            const s = event.stats;
            decode.setAttributes({
              "sluice.prompt_tokens": s.promptTokens,
              "sluice.generated_tokens": s.generatedTokens,
            });
            this.telemetry.record.tokens(model, s.promptTokens, s.generatedTokens);
            this.telemetry.record.firstToken(model, s.timeToFirstTokenMs / 1000);
            void this.#p.cache.setGeneration(key, { text: event.text, stats: s });
          }
          yield { ...event, model };
        }
        this.#p.host.reportSuccess(model);
      } catch (err) {
        this.#p.host.reportFailure(model, err);
        throw err;
      } finally {
        decode.end();
        void lease?.release().catch(() => undefined);
        call.release();
      }
    } catch (err) {
      const error = toSluiceError(err);
      code = error.code;
      throw error;
    } finally {
      this.#finished(op, model, code, started);
    }
  }

  async *#cascaded(
    op: "generate" | "chat",
    params: GenerateParams,
    options: CallOptions,
  ): AsyncGenerator<SluiceGenerateEvent> {
    if (this.#closing) throw new DisposedError("Sluice is closing; no new requests are accepted");
    validateGenerateParams(params);
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

  async #collect(events: AsyncIterable<SluiceGenerateEvent>): Promise<GenerateResult> {
    for await (const event of events) {
      if (event.type === "done") {
        const slot = this.#p.slots.get(event.model);
        return {
          model: event.model,
          text: event.text,
          stats: event.stats,
          cached: event.cached === true,
          synthetic: slot?.options.synthetic === true,
          ...(event.cascade ? { cascade: event.cascade } : {}),
        };
      }
    }
    throw new DisposedError("the generation ended without a result");
  }

  #slot(id: string | undefined): ModelSlot {
    if (this.#closing) throw new DisposedError("Sluice is closing; no new requests are accepted");
    const slot = this.#p.slots.get(id ?? this.#p.defaultModel);
    if (!slot) throw new ModelNotFoundError(`model ${id} is not served here`, { details: { model: id } });
    return slot;
  }

  /** Waits for the scheduler's slot (priority, fairness, deadline, cancellation) and records the wait. */
  async #acquire(model: string, options: CallOptions): Promise<Slot> {
    const slot = await this.telemetry.withSpan(
      "queue",
      () =>
        this.#p.scheduler.acquire(model, {
          caller: options.caller ?? "anonymous",
          priority: options.priority ?? "interactive",
          ...(options.timeoutMs !== undefined && options.timeoutMs > 0
            ? { deadlineMs: options.timeoutMs }
            : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      { "sluice.model": model },
    );
    this.telemetry.record.queueWait(model, slot.waitedMs / 1000);
    for (const listener of this.#dispatchListeners) {
      try {
        listener({ model, caller: slot.caller, waitedMs: slot.waitedMs });
      } catch {
        // Observers must never break a request.
      }
    }
    this.telemetry.record.queue(model, this.#p.scheduler.stats(model).queued, this.#p.limits.maxQueue);
    return slot;
  }

  #finished(op: string, model: string, code: string, started: number): void {
    this.telemetry.record.requestFinished({
      op,
      model,
      code,
      durationSeconds: (performance.now() - started) / 1000,
    });
    const slot = this.#p.slots.get(model);
    if (slot) this.telemetry.record.sequencesBusy(model, this.#p.scheduler.stats(model).running);
    this.telemetry.record.queue(model, this.#p.scheduler.stats(model).queued, this.#p.limits.maxQueue);
  }
}
