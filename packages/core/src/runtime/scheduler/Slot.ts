/**
 * Permission to run one request on a model, handed out by the Scheduler.
 * Its signal aborts when the caller cancels or the deadline passes (with a
 * TimeoutError or AbortedError as reason). Release it exactly when the work
 * ends; releasing twice is harmless.
 */
export class Slot implements Disposable {
  readonly modelId: string;
  readonly caller: string;
  /** Milliseconds spent in the queue. */
  readonly waitedMs: number;
  readonly signal: AbortSignal;
  readonly #onRelease: () => void;
  #released = false;

  /** @internal Created by Scheduler only. */
  constructor(init: {
    modelId: string;
    caller: string;
    waitedMs: number;
    signal: AbortSignal;
    onRelease: () => void;
  }) {
    this.modelId = init.modelId;
    this.caller = init.caller;
    this.waitedMs = init.waitedMs;
    this.signal = init.signal;
    this.#onRelease = init.onRelease;
  }

  get released(): boolean {
    return this.#released;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
