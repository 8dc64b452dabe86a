import type { CacheEvents, MissReason } from "./CacheEvents.ts";
import type { EncryptionKey, KeyRing } from "./KeyRing.ts";
import { isCorruption, moveAside, openDatabase, type SqliteDatabase } from "./openDatabase.ts";

/** Options of the on-disk tier. */
export interface PersistentTierOptions {
  /** SQLite file; its directory is created if missing. */
  path: string;
  /** AES-256-GCM keys; every value is encrypted at rest. */
  keys: readonly EncryptionKey[];
  /** Id of the key new entries are sealed with. */
  activeKeyId: string;
  /** Most bytes of stored entries (ciphertext plus key); least recently used go first. Defaults to `268_435_456` (256 MiB). */
  maxBytes?: number;
  /** Entry lifetime in milliseconds; `0` keeps entries until evicted. Defaults to the cache's `ttlMs`. */
  ttlMs?: number;
}

/** Counters of the persistent tier. */
export interface PersistentTierStats {
  hits: number;
  misses: number;
  /** Misses on entries that existed but could not be read: tampered, wrong or unknown key, undecodable. */
  unreadable: number;
  evictions: number;
  expirations: number;
  errors: number;
  /** Entries re-encrypted under the active key after a read under an older one. */
  rewrapped: number;
  /** Corrupt database files moved aside and replaced. */
  recoveries: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

interface Row {
  key_id: string;
  value: Buffer;
  expires_at: number | null;
  accessed_at: number;
}

interface Statements {
  select: { get(key: string): unknown };
  size: { get(key: string): unknown };
  upsert: { run(...args: unknown[]): unknown };
  touch: { run(...args: unknown[]): unknown };
  rewrap: { run(...args: unknown[]): unknown };
  remove: { get(key: string): unknown };
}

// Touching accessed_at on every hit would turn each read into a write; LRU order to the second is enough.
const TOUCH_INTERVAL_MS = 1000;
const REOPEN_INTERVAL_MS = 5000;
// Evicting down to 90 % means eviction (and its recount) runs once per 10 % of growth, not on every insert.
const LOW_WATER = 0.9;

/**
 * Encrypted SQLite store that survives restarts. Every failure (a tampered row,
 * a wrong key, a damaged file, a full disk) is a counted miss or a skipped
 * write; nothing here throws to the caller. A damaged file is moved aside and
 * replaced, so the cache keeps working.
 */
export class PersistentTier {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #keyRing: KeyRing;
  readonly #events: CacheEvents;
  readonly #now: () => number;
  #db: SqliteDatabase | undefined;
  #statements: Statements | undefined;
  #bytes = 0;
  #entries = 0;
  #closed = false;
  /** When the tier may next try to open a database that failed to open (locked, unwritable directory). */
  #retryAt = 0;
  readonly #counters = {
    hits: 0,
    misses: 0,
    unreadable: 0,
    evictions: 0,
    expirations: 0,
    errors: 0,
    rewrapped: 0,
    recoveries: 0,
  };

  constructor(
    options: { path: string; maxBytes: number; ttlMs: number },
    keyRing: KeyRing,
    events: CacheEvents,
    now: () => number,
  ) {
    this.#path = options.path;
    this.#maxBytes = options.maxBytes;
    this.#ttlMs = options.ttlMs;
    this.#keyRing = keyRing;
    this.#events = events;
    this.#now = now;
    this.#open();
  }

  /** The decrypted value bytes, or `undefined` (a counted miss). */
  get(key: string): Uint8Array | undefined {
    const statements = this.#statements ?? this.#reopen();
    if (statements === undefined) return this.#miss(key, this.#closed ? "closed" : "error");
    try {
      const row = statements.select.get(key) as Row | undefined;
      if (row === undefined) return this.#miss(key, "absent");
      const now = this.#now();
      if (row.expires_at !== null && row.expires_at <= now) {
        this.#removeRow(key);
        this.#counters.expirations++;
        this.#events.emit("eviction", { tier: "persistent", key, reason: "expired" });
        return this.#miss(key, "expired");
      }
      if (!Buffer.isBuffer(row.value) || typeof row.key_id !== "string") return this.#miss(key, "corrupt");
      const opened = this.#keyRing.open(row.key_id, row.value, key);
      // The row stays: a wrong key may be a configuration mistake that is fixed on the next deploy.
      if (typeof opened === "string") return this.#miss(key, opened);
      if (row.key_id !== this.#keyRing.activeKeyId) {
        const { keyId, sealed } = this.#keyRing.seal(opened, key);
        statements.rewrap.run(keyId, sealed, now, key);
        this.#counters.rewrapped++;
      } else if (now - row.accessed_at >= TOUCH_INTERVAL_MS) {
        statements.touch.run(now, key);
      }
      this.#counters.hits++;
      this.#events.emit("hit", { tier: "persistent", key });
      return opened;
    } catch (error) {
      this.#fail("get", error);
      return this.#miss(key, "error");
    }
  }

  /** Encrypts and stores; an entry larger than `maxBytes` is skipped. `ttlMs` overrides the tier's TTL. */
  set(key: string, value: Uint8Array, ttlMs: number = this.#ttlMs): void {
    const statements = this.#statements ?? this.#reopen();
    if (statements === undefined) return;
    try {
      const { keyId, sealed } = this.#keyRing.seal(value, key);
      const size = sealed.byteLength + key.length;
      if (size > this.#maxBytes) return;
      const now = this.#now();
      const old = statements.size.get(key) as { size: number } | undefined;
      statements.upsert.run(key, keyId, sealed, size, ttlMs > 0 ? now + ttlMs : null, now);
      this.#bytes += size - (old?.size ?? 0);
      if (old === undefined) this.#entries++;
      if (this.#bytes > this.#maxBytes) this.#evict(now);
    } catch (error) {
      this.#fail("set", error);
    }
  }

  delete(key: string): void {
    if (this.#statements === undefined) return;
    try {
      this.#removeRow(key);
    } catch (error) {
      this.#fail("delete", error);
    }
  }

  stats(): PersistentTierStats {
    return { ...this.#counters, entries: this.#entries, bytes: this.#bytes, maxBytes: this.#maxBytes };
  }

  /** Closes the database, checkpointing the WAL. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements = undefined;
    try {
      this.#db?.close();
    } catch (error) {
      this.#fail("close", error);
    }
    this.#db = undefined;
  }

  #open(): void {
    try {
      this.#attach(openDatabase(this.#path));
    } catch (error) {
      if (isCorruption(error)) {
        this.#recover();
      } else {
        this.#retryAt = Date.now() + REOPEN_INTERVAL_MS;
        this.#fail("open", error);
      }
    }
  }

  /** A database that could not be opened is retried now and then, so a transient cause does not disable the tier for good. */
  #reopen(): Statements | undefined {
    if (this.#closed || Date.now() < this.#retryAt) return undefined;
    this.#open();
    return this.#statements;
  }

  #attach(db: SqliteDatabase): void {
    this.#statements = {
      select: db.prepare("SELECT key_id, value, expires_at, accessed_at FROM entries WHERE key = ?"),
      size: db.prepare("SELECT size FROM entries WHERE key = ?"),
      upsert: db.prepare(
        `INSERT INTO entries (key, key_id, value, size, expires_at, accessed_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET key_id = excluded.key_id, value = excluded.value, size = excluded.size,
           expires_at = excluded.expires_at, accessed_at = excluded.accessed_at`,
      ),
      touch: db.prepare("UPDATE entries SET accessed_at = ? WHERE key = ?"),
      rewrap: db.prepare("UPDATE entries SET key_id = ?, value = ?, accessed_at = ? WHERE key = ?"),
      remove: db.prepare("DELETE FROM entries WHERE key = ? RETURNING size"),
    };
    this.#db = db;
    this.#recount();
  }

  /** Moves a damaged file aside and starts an empty one; if even that fails, the tier stays off (all misses). */
  #recover(): void {
    try {
      this.#db?.close();
    } catch {
      // A damaged connection may refuse to close cleanly; the file is being replaced anyway.
    }
    this.#db = undefined;
    this.#statements = undefined;
    try {
      const movedTo = moveAside(this.#path, Date.now());
      this.#counters.recoveries++;
      this.#events.emit("recovered", { tier: "persistent", movedTo });
      this.#attach(openDatabase(this.#path));
    } catch (error) {
      this.#retryAt = Date.now() + REOPEN_INTERVAL_MS;
      this.#counters.errors++;
      this.#events.emit("error", { tier: "persistent", op: "recover", error });
    }
  }

  #fail(op: string, error: unknown): void {
    this.#counters.errors++;
    this.#events.emit("error", { tier: "persistent", op, error });
    if (isCorruption(error) && !this.#closed) this.#recover();
  }

  #miss(key: string, reason: MissReason): undefined {
    this.#counters.misses++;
    if (reason !== "absent" && reason !== "expired" && reason !== "closed" && reason !== "error") {
      this.#counters.unreadable++;
    }
    this.#events.emit("miss", { tier: "persistent", key, reason });
    return undefined;
  }

  #removeRow(key: string): void {
    const removed = this.#statements!.remove.get(key) as { size: number } | undefined;
    if (removed !== undefined) {
      this.#bytes -= removed.size;
      this.#entries--;
    }
  }

  #recount(): void {
    const totals = this.#db!.prepare(
      "SELECT COUNT(*) AS entries, COALESCE(SUM(size), 0) AS bytes FROM entries",
    ).get() as {
      entries: number;
      bytes: number;
    };
    this.#entries = totals.entries;
    this.#bytes = totals.bytes;
  }

  /** Drops expired rows, then least recently used ones, until the store is at its low-water mark. */
  #evict(now: number): void {
    const db = this.#db!;
    const emit = this.#events.has("eviction");
    db.transaction(() => {
      const expired = db.prepare("DELETE FROM entries WHERE expires_at <= ? RETURNING key").all(now) as {
        key: string;
      }[];
      this.#counters.expirations += expired.length;
      if (emit)
        for (const { key } of expired)
          this.#events.emit("eviction", { tier: "persistent", key, reason: "expired" });
      // Another process may share the file, so the running total is re-read before deciding what to drop.
      this.#recount();
      const target = this.#maxBytes * LOW_WATER;
      if (this.#bytes <= target) return;
      const victims: string[] = [];
      let bytes = this.#bytes;
      for (const row of db.prepare("SELECT key, size FROM entries ORDER BY accessed_at, rowid").iterate()) {
        const { key, size } = row as { key: string; size: number };
        victims.push(key);
        bytes -= size;
        if (bytes <= target) break;
      }
      const remove = db.prepare("DELETE FROM entries WHERE key = ?");
      for (const key of victims) remove.run(key);
      this.#counters.evictions += victims.length;
      if (emit)
        for (const key of victims) this.#events.emit("eviction", { tier: "persistent", key, reason: "size" });
      this.#recount();
    })();
  }
}
