import type { Engine } from "../engine/index.ts";

/**
 * A reference to a loaded model. While any lease is held the model stays
 * loaded; release it (or `await using` it) when the request ends. Releasing
 * twice is harmless.
 */
export class ModelLease implements AsyncDisposable {
  readonly modelId: string;
  readonly engine: Engine;
  readonly #onRelease: () => Promise<void>;
  #released = false;

  /** @internal Created by ModelHost only. */
  constructor(modelId: string, engine: Engine, onRelease: () => Promise<void>) {
    this.modelId = modelId;
    this.engine = engine;
    this.#onRelease = onRelease;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Drops the reference; resolves once an unload it caused (keep-alive 0) finished. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#onRelease();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
