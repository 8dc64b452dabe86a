import type { EngineInfo, EngineLoadOptions, ModelHost, ModelLease, SluiceError } from "@sluice/core";
import {
  MODEL_DEFAULTS,
  type ModelResolver,
  type PullProgress,
  type ResolvedModelFile,
  type SluiceModelOptions,
} from "./options.ts";
import type { ModelState, ModelStatus } from "./types.ts";

/**
 * One configured model as the SDK sees it: its options, its verified file,
 * and a pin that keeps a preloaded or admin-loaded model resident. Loading,
 * reference counting, keep-alive and the breaker are the model host's; the
 * slot only asks it.
 */
export class ModelSlot {
  readonly options: Required<Omit<SluiceModelOptions, "mmproj">> & { mmproj?: string };
  readonly #host: ModelHost;
  readonly #resolver: ModelResolver;
  #file: ResolvedModelFile | undefined;
  #lastError: SluiceError | undefined;
  #pin: Promise<ModelLease> | undefined;
  #engineInfo: EngineInfo | undefined;

  constructor(options: SluiceModelOptions, host: ModelHost, resolver: ModelResolver) {
    this.options = {
      id: options.id,
      source: options.source ?? options.id,
      role: options.role ?? "chat",
      contextSize: options.contextSize ?? MODEL_DEFAULTS.contextSize,
      batchSize: options.batchSize ?? MODEL_DEFAULTS.batchSize,
      sequences: options.sequences ?? MODEL_DEFAULTS.sequences,
      threads: options.threads ?? "auto",
      sequenceReuse: options.sequenceReuse ?? true,
      streamIntervalMs: options.streamIntervalMs ?? MODEL_DEFAULTS.streamIntervalMs,
      embeddingContexts: options.embeddingContexts ?? MODEL_DEFAULTS.embeddingContexts,
      preload: options.preload ?? false,
      synthetic: options.synthetic ?? false,
      mmproj: options.mmproj,
    };
    this.#host = host;
    this.#resolver = resolver;
  }

  get id(): string {
    return this.options.id;
  }
  /** Health as the model host reports it. */
  get state(): ModelState {
    return this.#host.health(this.id);
  }
  /** The verified file, once resolved. */
  get file(): ResolvedModelFile | undefined {
    return this.#file;
  }

  /** Engine options the host loads this model with. */
  loadOptions(): Omit<EngineLoadOptions, "modelPath"> & { modelId: string } {
    return {
      modelId: this.id,
      contextSize: this.options.contextSize,
      batchSize: this.options.batchSize,
      sequences: this.options.sequences,
      threads: this.options.threads,
      sequenceReuse: this.options.sequenceReuse,
      streamIntervalMs: this.options.streamIntervalMs,
      embeddingContexts: this.options.embeddingContexts,
      ...(this.options.mmproj ? { mmprojPath: this.options.mmproj } : {}),
    };
  }

  /** Loads the model and keeps it loaded (no keep-alive expiry) until unload(). Requests go through the runtime, never through this pin. */
  async load(): Promise<void> {
    // The pin's engine says how the model was loaded (threads, batch, GPU), for status().
    this.#pin ??= this.#host.acquire(this.id).then((lease) => {
      this.#engineInfo = lease.engine.info;
      return lease;
    });
    try {
      await this.#pin;
    } catch (err) {
      this.#pin = undefined;
      throw err;
    }
  }

  /** Resolves (downloading when the resolver can) without loading. */
  async pull(onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<ResolvedModelFile> {
    this.#file = await this.#resolver.resolve(this.options.source, {
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    return this.#file;
  }

  async verify(): Promise<ResolvedModelFile> {
    this.#file = await this.#resolver.verify(this.options.source);
    return this.#file;
  }

  /**
   * Drops the pin and unloads the model when nothing else holds it (a request
   * in flight keeps it until it ends; keep-alive applies to the rest). Idempotent.
   */
  async unload(): Promise<void> {
    const pin = this.#pin;
    this.#pin = undefined;
    if (pin) await (await pin.catch(() => undefined))?.release();
    await this.#host.unloadIdle();
  }

  /** Remembers the failure behind a degraded or broken state, for status(). */
  noteError(error: SluiceError | undefined): void {
    if (error) this.#lastError = error;
  }

  status(isDefault: boolean, running = 0, queued = 0): ModelStatus {
    return {
      id: this.id,
      role: this.options.role,
      state: this.state,
      synthetic: this.options.synthetic,
      isDefault,
      ...(this.#file ? { path: this.#file.path, sha256: this.#file.sha256, sizeBytes: this.#file.size } : {}),
      contextSize: this.options.contextSize,
      sequences: this.options.sequences,
      busySequences: running,
      // What the engine actually loaded with, while it is loaded.
      ...(this.#engineInfo && this.state !== "unloaded" ? { engine: engineSummary(this.#engineInfo) } : {}),
      queued,
      ...(this.#lastError
        ? { lastError: { code: this.#lastError.code, message: this.#lastError.message } }
        : {}),
    };
  }
}

function engineSummary(info: EngineInfo): NonNullable<ModelStatus["engine"]> {
  return {
    contextSize: info.contextSize,
    sequences: info.sequences,
    ...(info.threads !== undefined ? { threads: info.threads } : {}),
    ...(info.batchSize !== undefined ? { batchSize: info.batchSize } : {}),
    ...(info.gpu !== undefined ? { gpu: info.gpu } : {}),
    ...(info.streamIntervalMs !== undefined ? { streamIntervalMs: info.streamIntervalMs } : {}),
  };
}
