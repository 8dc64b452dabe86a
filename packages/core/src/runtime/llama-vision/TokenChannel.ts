/**
 * Turns the binding's token callback into an async iterable: the callback
 * pushes pieces, the completion's promise ends or fails the stream.
 */
export class TokenChannel<R> implements AsyncIterable<string> {
  readonly #pieces: string[] = [];
  #wake: (() => void) | undefined;
  #settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;

  push(piece: string): void {
    this.#pieces.push(piece);
    this.#notify();
  }

  end(value: R): void {
    this.#settled ??= { ok: true, value };
    this.#notify();
  }

  fail(error: unknown): void {
    this.#settled ??= { ok: false, error };
    this.#notify();
  }

  /** The completion's result; only after iteration finished without throwing. */
  get result(): R {
    if (this.#settled?.ok !== true) throw new RangeError("TokenChannel.result read before the stream ended");
    return this.#settled.value;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const piece = this.#pieces.shift();
      if (piece !== undefined) {
        yield piece;
        continue;
      }
      const settled = this.#settled;
      if (settled !== undefined) {
        if (!settled.ok) throw settled.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
