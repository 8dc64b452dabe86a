import { abortReason } from "../llama/ResourcePool.ts";

/**
 * A single-producer, single-consumer queue from a producer task to an async
 * iterator, with backpressure: put() waits while `highWater` items are
 * unread, so a client that stops reading stops the decode (and its deadline
 * or abort still frees the sequence).
 */
export class EventChannel<T> {
  readonly #items: T[] = [];
  readonly #highWater: number;
  #wakeTaker: (() => void) | undefined;
  #wakePutter: (() => void) | undefined;
  #ended = false;
  #error: { value: unknown } | undefined;

  constructor(highWater = 16) {
    this.#highWater = highWater;
  }

  /** Queues an item; waits while the reader is `highWater` items behind. Rejects when `signal` aborts. */
  async put(item: T, signal: AbortSignal): Promise<void> {
    this.#items.push(item);
    this.#wake("taker");
    while (this.#items.length >= this.#highWater) {
      if (signal.aborted) throw abortReason(signal);
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.#wakePutter = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      });
      this.#wakePutter = undefined;
    }
  }

  end(): void {
    this.#ended = true;
    this.#wake("taker");
  }

  fail(error: unknown): void {
    this.#error = { value: error };
    this.#wake("taker");
  }

  /** Next item, or done after end(); rejects once the buffer is empty after fail(). */
  async take(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#wake("putter");
        return { done: false, value: item };
      }
      if (this.#error) throw this.#error.value;
      if (this.#ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.#wakeTaker = resolve;
      });
    }
  }

  #wake(who: "taker" | "putter"): void {
    const wake = who === "taker" ? this.#wakeTaker : this.#wakePutter;
    if (who === "taker") this.#wakeTaker = undefined;
    else this.#wakePutter = undefined;
    wake?.();
  }
}
