import { type Engine, type EngineFactory, type SluiceError, toSluiceError } from "@sluice/core";
import type { ModelResolver, PullProgress, ResolvedModelFile, SluiceModelOptions } from "./options.ts";
import type { ModelState, ModelStatus } from "./types.ts";

/** What a slot needs from the composition root. */
export interface ModelSlotDeps {
  factory: EngineFactory;
  resolver: ModelResolver;
  onStateChange?: (id: string, state: ModelState, error?: SluiceError) => void;
}

/**
 * One configured model: resolves and loads it on demand (concurrent callers
 * share one load), unloads it, and reports its status. Queueing is the
 * scheduler's job; the slot only knows its engine.
 */
export class ModelSlot {
  readonly options: Required<Omit<SluiceModelOptions, "mmproj">> & { mmproj?: string };
  readonly #deps: ModelSlotDeps;
  #state: ModelState = "unloaded";
  #engine: Engine | undefined;
  #loading: Promise<Engine> | undefined;
  #file: ResolvedModelFile | undefined;
  #lastError: SluiceError | undefined;

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

  status(isDefault: boolean, queued = 0): ModelStatus {
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
      queued,
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
