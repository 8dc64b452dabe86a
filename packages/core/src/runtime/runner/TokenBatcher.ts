import type { TokenLogprob } from "../engine/Engine.ts";

/**
 * Coalesces streamed text so that fast decodes do not pay one IPC message per
 * token. A piece goes out at once when nothing was sent in the last window
 * (so the first token and slow models' tokens are never delayed); pieces that
 * arrive faster are joined and sent when the window closes. On lfm2-tiny a
 * token decodes in ~0.4 ms while a message costs ~0.05 ms on both sides.
 */
export class TokenBatcher {
  #pending = "";
  // Log-probabilities ride with the text they belong to; undefined when the request asked for none.
  #pendingLogprobs: TokenLogprob[] | undefined;
  #lastSent = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (text: string, logprobs?: TokenLogprob[]) => void,
    private readonly windowMs = 2,
  ) {}

  push(text: string, logprobs?: TokenLogprob[]): void {
    const now = performance.now();
    if (
      this.#pending === "" &&
      this.#pendingLogprobs === undefined &&
      now - this.#lastSent >= this.windowMs
    ) {
      this.#lastSent = now;
      if (logprobs) this.emit(text, logprobs);
      else this.emit(text);
      return;
    }
    this.#pending += text;
    if (logprobs) this.#pendingLogprobs = [...(this.#pendingLogprobs ?? []), ...logprobs];
    this.#timer ??= setTimeout(() => this.flush(), Math.max(0, this.#lastSent + this.windowMs - now));
  }

  /** Sends what is pending now (before `done` or an error, so no text is lost or reordered). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "" && this.#pendingLogprobs === undefined) return;
    const text = this.#pending;
    const logprobs = this.#pendingLogprobs;
    this.#pending = "";
    this.#pendingLogprobs = undefined;
    this.#lastSent = performance.now();
    if (logprobs) this.emit(text, logprobs);
    else this.emit(text);
  }

  /** Drops pending text (the request was cancelled). */
  discard(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = "";
    this.#pendingLogprobs = undefined;
  }
}
