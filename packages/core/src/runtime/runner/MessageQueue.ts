import type { SluiceError } from "../../errors/index.ts";

/**
 * Buffers the messages of one streamed request until the consumer pulls them;
 * a failure is delivered after the messages that arrived before it.
 */
export class MessageQueue<T> {
  #items: T[] = [];
  #error: SluiceError | undefined;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  fail(error: SluiceError): void {
    this.#error ??= error;
    this.#wake?.();
  }

  async next(): Promise<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return item;
      if (this.#error !== undefined) throw this.#error;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
