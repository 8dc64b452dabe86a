/** Estimated and measured memory of one admitted model. */
export interface ModelMemoryUsage {
  modelId: string;
  modelPath: string | undefined;
  /** What admission reserved (the GGUF estimate). */
  estimateBytes: number;
  /** Last measured resident set size of the model's runner; undefined until one is observed. */
  rssBytes: number | undefined;
}

/**
 * Memory held in a MemoryBudget for one loaded model. Released when the model
 * unloads; `release()` is idempotent. Created by MemoryBudget.admit.
 */
export class MemoryReservation {
  readonly modelId: string;
  readonly modelPath: string | undefined;
  readonly estimateBytes: number;
  #rssBytes: number | undefined;
  #released = false;
  readonly #onRelease: (reservation: MemoryReservation) => void;

  /** @internal */
  constructor(
    modelId: string,
    modelPath: string | undefined,
    estimateBytes: number,
    onRelease: (reservation: MemoryReservation) => void,
  ) {
    this.modelId = modelId;
    this.modelPath = modelPath;
    this.estimateBytes = estimateBytes;
    this.#onRelease = onRelease;
  }

  get released(): boolean {
    return this.#released;
  }

  get rssBytes(): number | undefined {
    return this.#rssBytes;
  }

  /** Records a measurement of the model's actual memory (a runner's RSS). */
  observeRss(bytes: number): void {
    this.#rssBytes = bytes;
  }

  usage(): ModelMemoryUsage {
    return {
      modelId: this.modelId,
      modelPath: this.modelPath,
      estimateBytes: this.estimateBytes,
      rssBytes: this.#rssBytes,
    };
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
