/**
 * A FIFO per caller, served round-robin across callers: each dequeue takes
 * the oldest entry of the caller whose turn it is, then moves that caller to
 * the back. One caller's burst therefore delays another caller by at most
 * one entry per turn.
 */
export class FairQueue<T> {
  readonly #byCaller = new Map<string, T[]>();
  readonly #turns: string[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(caller: string, item: T): void {
    let line = this.#byCaller.get(caller);
    if (!line) {
      line = [];
      this.#byCaller.set(caller, line);
      this.#turns.push(caller);
    }
    line.push(item);
    this.#size++;
  }

  shift(): T | undefined {
    const caller = this.#turns.shift();
    if (caller === undefined) return undefined;
    const line = this.#byCaller.get(caller) as T[];
    const item = line.shift() as T;
    this.#size--;
    if (line.length > 0) this.#turns.push(caller);
    else this.#byCaller.delete(caller);
    return item;
  }

  /** Removes one entry wherever it is; returns whether it was queued. */
  remove(caller: string, item: T): boolean {
    const line = this.#byCaller.get(caller);
    const i = line?.indexOf(item) ?? -1;
    if (!line || i < 0) return false;
    line.splice(i, 1);
    this.#size--;
    if (line.length === 0) {
      this.#byCaller.delete(caller);
      this.#turns.splice(this.#turns.indexOf(caller), 1);
    }
    return true;
  }

  /** Empties the queue, returning what was in it. */
  drain(): T[] {
    const all: T[] = [];
    for (const line of this.#byCaller.values()) all.push(...line);
    this.#byCaller.clear();
    this.#turns.length = 0;
    this.#size = 0;
    return all;
  }
}
