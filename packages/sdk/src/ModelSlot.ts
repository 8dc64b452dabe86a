import {
  type Engine,
  type EngineFactory,
  QueueFullError,
  type SluiceError,
  toSluiceError,
} from "@sluice/core";
import type { ModelResolver, PullProgress, ResolvedModelFile, SluiceModelOptions } from "./options.ts";
import type { ModelState, ModelStatus } from "./types.ts";

/** What a slot needs from the composition root. */
export interface ModelSlotDeps {
  factory: EngineFactory;
  resolver: ModelResolver;
  maxQueue: number;
  onStateChange?: (id: string, state: ModelState, error?: SluiceError) => void;
}

/** A held admission: call `release()` once the request is over (idempotent). */
export interface Admission {
  release(): void;
}

/**
 * One configured model: resolves and loads it on demand, bounds how many
 * requests may wait for it, and reports its status. The engine's own sequence
 * pool does the queueing (first come, first served, abort leaves the line);
 * the slot only refuses work beyond `sequences + maxQueue` with QUEUE_FULL.
 */
export class ModelSlot {
  readonly options: Required<Omit<SluiceModelOptions, "mmproj">> & { mmproj?: string };
  readonly #deps: ModelSlotDeps;
  #state: ModelState = "unloaded";
  #engine: Engine | undefined;
  #loading: Promise<Engine> | undefined;
  #file: ResolvedModelFile | undefined;
  #lastError: SluiceError | undefined;
  #admitted = 0;
  #serviceMs = 1000;

  constructor(options: SluiceModelOptions, deps: ModelSlotDeps) {
    this.options = {
      id: options.id,
      source: options.source ?? options.id,
      role: options.role ?? "chat",
      contextSize: options.contextSize ?? 2048,
      sequences: options.sequences ?? 4,
      threads: options.threads ?? 2,
      embeddingContexts: options.embeddingContexts ?? 1,
      preload: options.preload ?? false,
      synthetic: options.synthetic ?? false,
      mmproj: options.mmproj,
    };
    this.#deps = deps;
  }

  get id(): string {
    return this.options.id;
  }
  get state(): ModelState {
    return this.#state;
  }
  /** The verified file, once resolved. */
  get file(): ResolvedModelFile | undefined {
    return this.#file;
  }

  /** Takes a place in this model's line, or throws QUEUE_FULL with a retry-after estimate. */
  admit(): Admission {
    const capacity = this.options.sequences + this.#deps.maxQueue;
    if (this.#admitted >= capacity) {
      const waves = Math.ceil((this.#admitted - this.options.sequences + 1) / this.options.sequences);
      const retryAfterSeconds = Math.max(1, Math.ceil((waves * this.#serviceMs) / 1000));
      throw new QueueFullError(
        `model ${this.id} has ${this.#admitted} requests in line (limit ${capacity})`,
        {
          details: { model: this.id, retryAfterSeconds },
        },
      );
    }
    this.#admitted++;
    const started = performance.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#admitted--;
        // Exponential moving average of service time feeds the retry-after estimate.
        this.#serviceMs = this.#serviceMs * 0.8 + (performance.now() - started) * 0.2;
      },
    };
  }

  /** The loaded engine, loading the model first if needed (concurrent callers share one load). */
  engine(onProgress?: (p: PullProgress) => void): Promise<Engine> {
    if (this.#engine && !this.#engine.disposed) return Promise.resolve(this.#engine);
    this.#loading ??= this.#load(onProgress).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Resolves (downloading when the resolver can) without loading. */
  async pull(onProgress?: (p: PullProgress) => void): Promise<ResolvedModelFile> {
    this.#file = await this.#deps.resolver.resolve(this.options.source, { onProgress });
    return this.#file;
  }

  async verify(): Promise<ResolvedModelFile> {
    try {
      this.#file = await this.#deps.resolver.verify(this.options.source);
      return this.#file;
    } catch (err) {
      const error = toSluiceError(err);
      if (error.code === "MODEL_CORRUPT") this.#setState("broken", error);
      throw error;
    }
  }

  /** Frees the model. Requests in flight end with DISPOSED. Idempotent. */
  async unload(): Promise<void> {
    const loading = this.#loading;
    if (loading) await loading.catch(() => undefined);
    const engine = this.#engine;
    this.#engine = undefined;
    if (engine) {
      await engine.dispose();
      this.#setState("unloaded");
    }
  }

  status(isDefault: boolean): ModelStatus {
    return {
      id: this.id,
      role: this.options.role,
      state: this.#state,
      synthetic: this.options.synthetic,
      isDefault,
      ...(this.#file ? { path: this.#file.path, sha256: this.#file.sha256, sizeBytes: this.#file.size } : {}),
      contextSize: this.options.contextSize,
      sequences: this.options.sequences,
      busySequences: this.#engine && !this.#engine.disposed ? this.#engine.busySequences() : 0,
      queued: Math.max(0, this.#admitted - (this.#engine?.busySequences() ?? 0)),
      ...(this.#lastError
        ? { lastError: { code: this.#lastError.code, message: this.#lastError.message } }
        : {}),
    };
  }

  async #load(onProgress?: (p: PullProgress) => void): Promise<Engine> {
    this.#setState("loading");
    try {
      const file = await this.pull(onProgress);
      const engine = await this.#deps.factory.load({
        modelPath: file.path,
        contextSize: this.options.contextSize,
        sequences: this.options.sequences,
        threads: this.options.threads,
        embeddingContexts: this.options.embeddingContexts,
        ...(this.options.mmproj ? { mmprojPath: this.options.mmproj } : {}),
        ...({ modelId: this.id } as object),
      });
      this.#engine = engine;
      this.#lastError = undefined;
      this.#setState("ready");
      return engine;
    } catch (err) {
      const error = toSluiceError(err, "MODEL_UNSUPPORTED");
      this.#setState(error.code === "MODEL_NOT_FOUND" ? "unloaded" : "broken", error);
      throw error;
    }
  }

  #setState(state: ModelState, error?: SluiceError): void {
    this.#state = state;
    if (error) this.#lastError = error;
    this.#deps.onStateChange?.(this.id, state, error);
  }
}
