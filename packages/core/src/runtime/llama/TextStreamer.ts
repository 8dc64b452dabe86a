/**
 * Turns the growing decoded text of a generation into safe-to-emit pieces:
 * holds back an incomplete UTF-8 character and any tail that could still grow
 * into a stop string, and cuts the text at the first stop string.
 */
export class TextStreamer {
  readonly #stops: readonly string[];
  readonly #longestStop: number;
  #emitted = 0;
  #text = "";
  #stopped = false;

  constructor(stops: readonly string[] = []) {
    this.#stops = stops.filter((s) => s.length > 0);
    this.#longestStop = this.#stops.reduce((n, s) => Math.max(n, s.length), 0);
  }

  /** True once a stop string was seen; the text is final. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Text accepted so far (without the stop string). */
  get text(): string {
    return this.#text;
  }

  /** Takes the full decoded text so far; returns the new piece to emit ("" when nothing is safe yet). */
  push(full: string): string {
    if (this.#stopped) return "";
    const from = Math.max(0, this.#emitted - this.#longestStop);
    let cut = -1;
    for (const stop of this.#stops) {
      const i = full.indexOf(stop, from);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.#stopped = true;
      this.#text = full.slice(0, cut);
      return this.#take(this.#text.length);
    }
    this.#text = full;
    let safe = full.length;
    // An unfinished multi-byte character decodes as U+FFFD until its last byte arrives.
    while (safe > this.#emitted && full.charCodeAt(safe - 1) === 0xfffd) safe--;
    safe -= this.#heldForStop(full, safe);
    return this.#take(safe);
  }

  /** Everything not yet emitted; call at the end of generation. */
  flush(): string {
    return this.#take(this.#text.length);
  }

  #take(end: number): string {
    if (end <= this.#emitted) return "";
    const piece = this.#text.slice(this.#emitted, end);
    this.#emitted = end;
    return piece;
  }

  #heldForStop(full: string, end: number): number {
    let held = 0;
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, end - this.#emitted); n > held; n--) {
        if (full.startsWith(stop.slice(0, n), end - n)) {
          held = n;
          break;
        }
      }
    }
    return held;
  }
}
