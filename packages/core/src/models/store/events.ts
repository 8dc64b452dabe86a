import type { ModelCorruptError } from "../../errors/index.ts";

/** Events a model store emits; the composition root wires them to metrics, logs and the audit log. */
export interface ModelStoreEvents {
  /** A download began (after the URL and its redirects passed the host policy). */
  "download-start": { key: string; url: string; path: string };
  "download-progress": { key: string; downloadedBytes: number; totalBytes: number };
  "download-done": { key: string; path: string; bytes: number; ms: number };
  /** A whole file was hashed (the verification record did not cover it). */
  hash: { path: string; bytes: number; ms: number; sha256: string };
  "hash-progress": { path: string; hashedBytes: number; totalBytes: number };
  /** A file passed its checks; `cached` when its digest came from a verification record. */
  verify: { key: string | undefined; path: string; sha256: string; cached: boolean };
  /** A digest the catalog lacks was pinned in the lock file (trust on first use): a warning. */
  pin: { key: string; sha256: string; lockFile: string };
  /** A corrupt file was moved aside; it is kept for inspection and never loaded. */
  quarantine: { key: string | undefined; path: string; quarantinePath: string; error: ModelCorruptError };
  /** A candidate outside the models directory failed its checks and was skipped. */
  rejected: { key: string | undefined; path: string; error: ModelCorruptError };
  /** Another process holds the model's lock (it is downloading or quarantining it); this one waits. */
  "lock-wait": { key: string };
  /** A temp file left by a crashed download was removed. */
  "stale-temp-removed": { path: string };
}

export type ModelStoreEventName = keyof ModelStoreEvents;
export type ModelStoreListener<E extends ModelStoreEventName> = (event: ModelStoreEvents[E]) => void;

/** A minimal typed emitter; a throwing listener never breaks the store. */
export class ModelStoreEmitter {
  readonly #listeners = new Map<ModelStoreEventName, Set<(e: never) => void>>();

  on<E extends ModelStoreEventName>(name: E, listener: ModelStoreListener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (e: never) => void);
    return () => this.off(name, listener);
  }

  off<E extends ModelStoreEventName>(name: E, listener: ModelStoreListener<E>): void {
    this.#listeners.get(name)?.delete(listener as (e: never) => void);
  }

  emit<E extends ModelStoreEventName>(name: E, event: ModelStoreEvents[E]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as ModelStoreListener<E>)(event);
      } catch {
        // Listeners are telemetry; their failures must not fail a model operation.
      }
    }
  }
}
