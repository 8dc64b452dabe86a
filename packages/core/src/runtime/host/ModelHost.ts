import {
  AbortedError,
  DisposedError,
  InferenceFailedError,
  isSluiceError,
  toSluiceError,
} from "../../errors/index.ts";
import { isBreakerFailure, ModelPolicy, type ModelPolicyOptions } from "../../resilience/index.ts";
import type { Engine, EngineAvailability, EngineFactory } from "../engine/index.ts";
import { ModelLease } from "./ModelLease.ts";
import type {
  AdmissionGrant,
  Admit,
  ModelHealth,
  ModelLoadOptions,
  ModelResolver,
  ModelStateEvent,
  ModelStatus,
} from "./types.ts";

export interface ModelHostOptions {
  /** In-process or runner-process engines; the host does not care which. */
  engineFactory: EngineFactory;
  /** Model id → verified file. */
  resolve: ModelResolver;
  /** Engine options per model. Defaults to `{}` (the engine's defaults). */
  loadOptions?: (modelId: string) => ModelLoadOptions;
  /** Milliseconds an unreferenced model stays loaded (0 = unload at once). Defaults to `300_000`. */
  keepAliveMs?: number;
  /** Memory-budget admission before each load. Defaults to admitting everything. */
  admit?: Admit;
  /** Breaker and retry settings, the same for every model. Defaults to ModelPolicy's defaults. */
  policy?: ModelPolicyOptions;
  /** Decode one token after loading before marking a model ready. Defaults to `true`. */
  validateLoad?: boolean;
}

interface Entry {
  modelId: string;
  state: ModelHealth;
  references: number;
  lastUsedAt: number;
  engine?: Engine;
  loading?: Promise<Engine>;
  grant?: AdmissionGrant;
  keepAlive?: ReturnType<typeof setTimeout>;
  unwatch?: () => void;
}

/**
 * Loaded models with reference counts, after Ollama's scheduler: acquire()
 * loads on first use (shared by concurrent callers), validates with a
 * one-token decode, and hands out leases; at zero references a keep-alive
 * timer unloads the model. Loads run under the model's breaker, so after
 * repeated failures acquire() answers CIRCUIT_OPEN without touching the
 * model until the breaker half-opens.
 */
export class ModelHost {
  readonly #options: ModelHostOptions;
  readonly #keepAliveMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #policies = new Map<string, ModelPolicy>();
  readonly #health = new Map<string, ModelHealth>();
  readonly #listeners = new Set<(event: ModelStateEvent) => void>();
  readonly #releaseWaiters = new Set<() => void>();
  readonly #lifetime = new AbortController();
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;

  constructor(options: ModelHostOptions) {
    this.#options = options;
    this.#keepAliveMs = options.keepAliveMs ?? 300_000;
    if (!Number.isFinite(this.#keepAliveMs) || this.#keepAliveMs < 0)
      throw new RangeError(`keepAliveMs must be a number >= 0, got ${this.#keepAliveMs}`);
  }

  /** True once close() or destroy() was called. */
  get closed(): boolean {
    return this.#closing !== undefined || this.#destroying !== undefined;
  }

  /**
   * Returns a lease on a loaded, validated model, loading it if needed. Runs
   * under the model's breaker: CIRCUIT_OPEN while it is open.
   */
  acquire(modelId: string, signal?: AbortSignal): Promise<ModelLease> {
    return this.policy(modelId).execute((s) => this.#acquire(modelId, s), signal);
  }

  /**
   * Runs `fn` with the model's engine under its breaker and retry policy: a
   * failure of the load or of `fn` counts against the breaker, and the lease
   * is released however `fn` ends.
   */
  run<T>(
    modelId: string,
    fn: (engine: Engine, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.policy(modelId).execute(async (s) => {
      const lease = await this.#acquire(modelId, s);
      try {
        const result = await fn(lease.engine, s);
        this.reportSuccess(modelId);
        return result;
      } catch (err) {
        const entry = this.#entries.get(modelId);
        // A dead engine (crashed runner) is dropped so that the next request loads a fresh one.
        if (entry?.engine === lease.engine && lease.engine.disposed) await this.#unload(entry);
        else if (entry?.state === "ready" && isBreakerFailure(err)) this.#setState(modelId, "degraded", err);
        throw err;
      } finally {
        await lease.release();
      }
    }, signal);
  }

  async #acquire(modelId: string, signal: AbortSignal | undefined): Promise<ModelLease> {
    if (this.closed) throw new DisposedError("the model host is closed");
    if (signal?.aborted) throw new AbortedError("acquire was aborted", { cause: signal.reason });
    let entry = this.#entries.get(modelId);
    if (!entry) {
      entry = { modelId, state: this.health(modelId), references: 0, lastUsedAt: Date.now() };
      this.#entries.set(modelId, entry);
      entry.loading = this.#load(entry);
    }
    // Hold the model while waiting so a keep-alive expiry can not unload it under us.
    entry.references++;
    if (entry.keepAlive) clearTimeout(entry.keepAlive);
    entry.keepAlive = undefined;
    const held = entry;
    try {
      const engine = held.engine ?? (await abortable(held.loading as Promise<Engine>, signal));
      if (this.closed) throw new DisposedError("the model host closed while loading");
      return new ModelLease(modelId, engine, () => this.#release(held));
    } catch (err) {
      await this.#release(held);
      throw err;
    }
  }

  /** The model's health ("unloaded" when not in memory and never failed). */
  health(modelId: string): ModelHealth {
    return this.#entries.get(modelId)?.state ?? this.#health.get(modelId) ?? "unloaded";
  }

  /** Snapshots of models in memory or loading. */
  models(): ModelStatus[] {
    return [...this.#entries.values()].map((e) => ({
      modelId: e.modelId,
      state: e.state,
      references: e.references,
      lastUsedAt: e.lastUsedAt,
    }));
  }

  /** The breaker and retry policy of a model (created on first use). */
  policy(modelId: string): ModelPolicy {
    let policy = this.#policies.get(modelId);
    if (!policy) {
      policy = new ModelPolicy(modelId, this.#options.policy);
      policy.onStateChange((s) => {
        if (s === "open") this.#setState(modelId, "broken");
      });
      this.#policies.set(modelId, policy);
    }
    return policy;
  }

  /** Subscribes to health changes; returns the unsubscribe function. */
  onStateChange(listener: (event: ModelStateEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Marks a loaded model degraded after a failed request outside run() and counts it against its breaker. */
  reportFailure(modelId: string, error: unknown): void {
    if (!isBreakerFailure(error)) return;
    void this.policy(modelId).recordFailure(error);
    const entry = this.#entries.get(modelId);
    if (entry?.state === "ready") this.#setState(modelId, "degraded", error);
  }

  /** Marks a degraded (or breaker-broken) loaded model ready again after a successful request. */
  reportSuccess(modelId: string): void {
    const entry = this.#entries.get(modelId);
    if (entry?.engine && (entry.state === "degraded" || entry.state === "broken"))
      this.#setState(modelId, "ready");
  }

  /** Unloads models nobody references, least recently used first; returns how many. */
  async unloadIdle(max = Number.POSITIVE_INFINITY): Promise<number> {
    const idle = [...this.#entries.values()]
      .filter((e) => e.references === 0 && e.engine)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
      .slice(0, max);
    await Promise.all(idle.map((e) => this.#unload(e)));
    return idle.length;
  }

  /**
   * Refuses new leases, waits up to `deadlineMs` for held leases to be
   * released, then unloads everything. Idempotent.
   */
  close(deadlineMs = 30_000): Promise<void> {
    this.#closing ??= (async () => {
      const drained = this.#waitForNoReferences();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      await this.destroy();
    })();
    return this.#closing;
  }

  /** Unloads everything now; in-flight requests fail. Idempotent. */
  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      this.#lifetime.abort(new DisposedError("the model host was destroyed"));
      const entries = [...this.#entries.values()];
      await Promise.all(entries.map((e) => e.loading?.catch(() => undefined)));
      await Promise.all([...this.#entries.values()].map((e) => this.#unload(e)));
      for (const resolve of this.#releaseWaiters) resolve();
      this.#releaseWaiters.clear();
    })();
    return this.#destroying;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #load(entry: Entry): Promise<Engine> {
    const { modelId } = entry;
    this.#setState(modelId, "loading");
    try {
      const engine = await this.#loadOnce(entry, this.#lifetime.signal);
      entry.engine = engine;
      entry.loading = undefined;
      entry.unwatch = engine.onAvailability?.((a) => this.#onAvailability(entry, a));
      this.#setState(modelId, "ready");
      return engine;
    } catch (err) {
      const error = isSluiceError(err) ? err : toSluiceError(err);
      this.#entries.delete(modelId);
      this.#setState(modelId, "broken", error, entry);
      throw error;
    }
  }

  async #loadOnce(entry: Entry, signal: AbortSignal): Promise<Engine> {
    const { modelId } = entry;
    const resolved = await this.#options.resolve(modelId, signal);
    const options = this.#options.loadOptions?.(modelId) ?? {};
    const grant = await this.#options.admit?.(
      { modelId, path: resolved.path, sha256: resolved.sha256, options },
      signal,
    );
    let engine: Engine | undefined;
    try {
      engine = await this.#options.engineFactory.load({ ...options, modelPath: resolved.path }, signal);
      if (this.#options.validateLoad ?? true) await validate(engine, modelId);
      entry.grant = grant;
      return engine;
    } catch (err) {
      await engine?.dispose().catch(() => undefined);
      grant?.release();
      throw err;
    }
  }

  async #release(entry: Entry): Promise<void> {
    entry.references = Math.max(0, entry.references - 1);
    entry.lastUsedAt = Date.now();
    if (entry.references > 0) return;
    for (const resolve of this.#releaseWaiters) resolve();
    if (!entry.engine || this.#entries.get(entry.modelId) !== entry) return;
    if (this.#keepAliveMs === 0 || this.closed) {
      await this.#unload(entry);
      return;
    }
    entry.keepAlive = setTimeout(() => void this.#unload(entry), this.#keepAliveMs);
    // An idle model must not keep the process alive.
    entry.keepAlive.unref?.();
  }

  async #unload(entry: Entry): Promise<void> {
    if (this.#entries.get(entry.modelId) !== entry) return;
    if (entry.keepAlive) clearTimeout(entry.keepAlive);
    this.#entries.delete(entry.modelId);
    entry.unwatch?.();
    const engine = entry.engine;
    entry.engine = undefined;
    await engine?.dispose().catch(() => undefined);
    entry.grant?.release();
    entry.grant = undefined;
    this.#setState(entry.modelId, "unloaded", undefined, entry);
  }

  /**
   * A runner that died or hung makes its model not ready until the
   * supervisor's new runner has loaded it; then the model is ready again and
   * its breaker, if open, lets the next request through as its trial at once.
   */
  #onAvailability(entry: Entry, availability: EngineAvailability): void {
    if (this.#entries.get(entry.modelId) !== entry || !entry.engine) return;
    if (availability === "ready") {
      this.policy(entry.modelId).allowTrial();
      this.#setState(entry.modelId, "ready");
    } else this.#setState(entry.modelId, availability === "broken" ? "broken" : "degraded");
  }

  #waitForNoReferences(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ([...this.#entries.values()].every((e) => e.references === 0)) {
          this.#releaseWaiters.delete(check);
          resolve();
        }
      };
      this.#releaseWaiters.add(check);
      check();
    });
  }

  #setState(modelId: string, state: ModelHealth, error?: unknown, entry = this.#entries.get(modelId)): void {
    const previous = entry?.state ?? this.#health.get(modelId) ?? "unloaded";
    if (entry) entry.state = state;
    this.#health.set(modelId, state);
    if (previous === state) return;
    const event: ModelStateEvent =
      error === undefined ? { modelId, state, previous } : { modelId, state, previous, error };
    for (const listener of this.#listeners) listener(event);
  }
}

async function validate(engine: Engine, modelId: string): Promise<void> {
  try {
    // keepState false: nobody extends the validation prompt, and a kept sequence would have to
    // be cleared before the first burst of requests could use it (see GenerateParams.keepState).
    for await (const event of engine.generate({
      prompt: "Hello",
      maxTokens: 1,
      temperature: 0,
      keepState: false,
    })) {
      if (event.type === "done") return;
    }
  } catch (err) {
    throw new InferenceFailedError(`model ${modelId} failed its validation decode`, { cause: err });
  }
  throw new InferenceFailedError(`model ${modelId} ended its validation decode without a result`);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError("acquire was aborted", { cause: signal.reason }));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
