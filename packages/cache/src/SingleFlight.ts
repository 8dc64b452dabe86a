interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

/** Counters of the single-flight group. */
export interface SingleFlightStats {
  /** Computations started. */
  computations: number;
  /** Requests that joined a computation already in flight instead of starting one. */
  shared: number;
  /** Computations in flight now. */
  inFlight: number;
}

/**
 * Lets concurrent requests for the same key share one computation. Each
 * waiter may abort on its own without disturbing the others; the computation
 * itself is aborted only when every waiter has gone. A failure is handed to
 * the current waiters and forgotten, so the next request tries again.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();
  #computations = 0;
  #shared = 0;

  /**
   * Runs `fn` for `key`, or joins the run already in flight.
   *
   * @returns `fn`'s result; rejects with `signal.reason` when this waiter's signal aborts first.
   */
  run(key: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      flight = this.#start(key, fn);
      this.#computations++;
    } else {
      this.#shared++;
    }
    const joined = flight;
    joined.waiters++;
    if (signal === undefined) return joined.promise.finally(() => this.#leave(key, joined, false));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onAbort = () => {
        if (done) return;
        done = true;
        this.#leave(key, joined, true);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      joined.promise.then(
        (value) => {
          if (done) return;
          done = true;
          signal.removeEventListener("abort", onAbort);
          this.#leave(key, joined, false);
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          signal.removeEventListener("abort", onAbort);
          this.#leave(key, joined, false);
          reject(error);
        },
      );
    });
  }

  /** Whether a computation for `key` is in flight. */
  has(key: string): boolean {
    return this.#flights.has(key);
  }

  stats(): SingleFlightStats {
    return { computations: this.#computations, shared: this.#shared, inFlight: this.#flights.size };
  }

  #start(key: string, fn: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const promise = (async () => fn(controller.signal))().finally(() => {
      // Settled flights leave the map at once: errors are not cached, and results live in the cache tiers.
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    // Waiters observe the promise; this keeps a flight whose waiters all left from raising an unhandled rejection.
    promise.catch(() => {});
    const flight: Flight<T> = { promise, controller, waiters: 0 };
    this.#flights.set(key, flight);
    return flight;
  }

  #leave(key: string, flight: Flight<T>, aborted: boolean): void {
    flight.waiters--;
    if (aborted && flight.waiters === 0) {
      // Nobody wants the result any more: stop the work and let the next request start afresh.
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
      flight.controller.abort(new DOMException("every waiter aborted", "AbortError"));
    }
  }
}
