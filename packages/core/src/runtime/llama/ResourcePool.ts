import { AbortedError, DisposedError, isSluiceError } from "../../errors/index.ts";

interface Waiter<T> {
  resolve(item: T): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A fixed set of reusable resources (context sequences, embedding contexts)
 * handed out first come, first served. Waiters that abort leave the line at
 * once, so a cancelled request never holds a place.
 */
export class ResourcePool<T> {
  readonly #free: T[];
  readonly #all: ReadonlySet<T>;
  readonly #busy = new Set<T>();
  readonly #waiters: Waiter<T>[] = [];
  #disposed = false;

  constructor(items: readonly T[]) {
    if (items.length === 0) throw new RangeError("ResourcePool needs at least one item, got 0");
    this.#free = [...items];
    this.#all = new Set(items);
  }

  /** Items in the pool, busy or not. */
  get size(): number {
    return this.#all.size;
  }
  /** Items currently handed out. */
  get busy(): number {
    return this.#busy.size;
  }
  /** Callers waiting for an item. */
  get waiting(): number {
    return this.#waiters.length;
  }
  get disposed(): boolean {
    return this.#disposed;
  }
  /** Every item, for disposal by the owner. */
  items(): readonly T[] {
    return [...this.#all];
  }

  /** Resolves with a free item; rejects with the signal's reason (or AbortedError) if it aborts first. */
  acquire(signal?: AbortSignal): Promise<T> {
    if (this.#disposed) return Promise.reject(new DisposedError("the pool is disposed"));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const item = this.#free.pop();
    if (item !== undefined) {
      this.#busy.add(item);
      return Promise.resolve(item);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  /** Returns an item; the longest waiter gets it at once. */
  release(item: T): void {
    if (!this.#busy.delete(item)) return;
    if (this.#disposed) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      this.#busy.add(item);
      waiter.resolve(item);
      return;
    }
    this.#free.push(item);
  }

  /** Rejects all waiters; items are the owner's to dispose. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new DisposedError("the pool was disposed while waiting"));
    }
  }
}

/** The reason a signal aborted, as a SluiceError when it is one, else AbortedError. */
export function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (isSluiceError(reason)) return reason;
  return new AbortedError("the request was aborted", { cause: reason });
}
