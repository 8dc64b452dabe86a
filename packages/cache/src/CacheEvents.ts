/** Where an event happened. */
export type TierName = "memory" | "persistent" | "redis";

/** Why a tier missed. Anything but `absent` and `expired` means an entry existed but could not be used. */
export type MissReason =
  | "absent"
  | "expired"
  | "unknown-key"
  | "decrypt-failed"
  | "corrupt"
  | "bypass"
  | "error"
  | "closed";

/** Payloads of the cache's events, by event name. */
export interface CacheEventMap {
  /** One per `get` (and per `getOrCompute` lookup): the request's outcome over all tiers, for a hit-ratio metric. */
  lookup: { key: string; result: "hit"; tier: TierName } | { key: string; result: "miss" };
  /** A tier had the entry. */
  hit: { tier: TierName; key: string };
  /** A tier did not have a usable entry; lower tiers may still have it. */
  miss: { tier: TierName; key: string; reason: MissReason };
  eviction: { tier: TierName; key: string; reason: "size" | "expired" | "entries" };
  /** A tier failed; the caller saw a miss or a skipped write, never this error. */
  error: { tier: TierName; op: string; error: unknown };
  /** Redis was skipped because it is down, slow, or cooling down after a failure. */
  bypass: { tier: "redis"; reason: "down" | "timeout" | "cooldown" };
  /** A corrupt database file was moved aside and a fresh one created. */
  recovered: { tier: "persistent"; movedTo: string };
  /** Redis connection state changed. */
  connection: { tier: "redis"; state: "ready" | "down" };
  /** A computation started (`shared: false`) or a request joined one in flight (`shared: true`). */
  compute: { key: string; shared: boolean };
}

/** A listener for one event. */
export type CacheListener<E extends keyof CacheEventMap> = (payload: CacheEventMap[E]) => void;

/**
 * A small typed event hub. Listeners run synchronously; one that throws is
 * isolated, because observing the cache must never break a request.
 */
export class CacheEvents {
  readonly #listeners: { [E in keyof CacheEventMap]?: CacheListener<E>[] } = {};

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof CacheEventMap>(event: E, listener: CacheListener<E>): () => void {
    let list = this.#listeners[event] as CacheListener<E>[] | undefined;
    if (list === undefined) {
      list = [];
      (this.#listeners as Record<string, unknown>)[event] = list;
    }
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Whether anyone listens; lets hot paths skip building payloads. */
  has(event: keyof CacheEventMap): boolean {
    return (this.#listeners[event]?.length ?? 0) > 0;
  }

  emit<E extends keyof CacheEventMap>(event: E, payload: CacheEventMap[E]): void {
    const list = this.#listeners[event] as CacheListener<E>[] | undefined;
    if (list === undefined || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch {
        // A faulty observer must not turn a cache hit into a failed request.
      }
    }
  }
}
