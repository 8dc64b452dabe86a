import { AbortedError } from "../../errors/index.ts";

interface Flight<T, P> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
  listeners: Set<(progress: P) => void>;
}

/**
 * Runs one operation per key at a time within a process; concurrent callers
 * of the same key share it. A caller's abort only detaches that caller; the
 * operation itself is aborted when every caller has gone.
 */
export class SingleFlight<T, P> {
  readonly #flights = new Map<string, Flight<T, P>>();

  run(
    key: string,
    operation: (signal: AbortSignal, progress: (p: P) => void) => Promise<T>,
    options: { signal?: AbortSignal; onProgress?: (p: P) => void } = {},
  ): Promise<T> {
    const { signal, onProgress } = options;
    if (signal?.aborted)
      return Promise.reject(new AbortedError("aborted before it started", { cause: signal.reason }));
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const listeners = new Set<(p: P) => void>();
      const emit = (p: P) => {
        for (const l of listeners) l(p);
      };
      const created: Flight<T, P> = {
        controller,
        listeners,
        waiters: 0,
        promise: Promise.resolve()
          .then(() => operation(controller.signal, emit))
          .finally(() => {
            if (this.#flights.get(key) === created) this.#flights.delete(key);
          }),
      };
      flight = created;
      this.#flights.set(key, flight);
    }
    const f = flight;
    f.waiters++;
    if (onProgress) f.listeners.add(onProgress);
    return new Promise<T>((resolve, reject) => {
      let detached = false;
      const detach = (): boolean => {
        if (detached) return false;
        detached = true;
        signal?.removeEventListener("abort", onAbort);
        if (onProgress) f.listeners.delete(onProgress);
        f.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!detach()) return;
        if (f.waiters === 0) {
          // Nobody waits any more: abort, and let the next caller start afresh.
          if (this.#flights.get(key) === f) this.#flights.delete(key);
          f.controller.abort(signal?.reason);
        }
        reject(new AbortedError("the model operation was aborted", { cause: signal?.reason }));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      f.promise.then(
        (value) => {
          if (detach()) resolve(value);
        },
        (err: unknown) => {
          if (detach()) reject(err);
        },
      );
    });
  }
}
