import { mkdir, open, readFile, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { type AuditEntry, type AuditEvent, digestEntry, GENESIS_HASH } from "./entry.ts";
import { auditFileName, listAuditFiles, listAuditSeries, processSeriesName } from "./files.ts";
import type { AuditHmacKey } from "./keys.ts";
import { type AuditRetention, pruneAuditFiles } from "./retention.ts";

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** Directory of the log files; created if missing. */
  dir: string;
  /**
   * Name of the series this log writes (`<baseName>-000001.jsonl`, …). Exactly
   * one process may write a series; a fixed name is for tools and tests.
   * Defaults to a per-process name, `audit-<start time>-<host>-<pid>`.
   */
  baseName?: string;
  /** Size after which the next append starts a new file. Defaults to `10 MiB`. */
  maxFileBytes?: number;
  /** fsync after each append, so an acknowledged operation survives a power cut. Defaults to `true`. */
  fsync?: boolean;
  /**
   * HMAC-sha256 keys: entries are chained under the active one and carry its
   * id, so nobody without the key can rewrite the chain from an edited line
   * onwards. Defaults to none (plain sha256: tamper-evident against accidents only).
   */
  hmacKeys?: readonly AuditHmacKey[];
  /** Id of the key new entries are chained under. Defaults to the first of `hmacKeys`. */
  activeKeyId?: string;
  /** Size and age limits; older files are removed and the removal is recorded in the chain. Defaults to none. */
  retention?: AuditRetention;
  /** Clock, for tests. Defaults to `() => new Date()`. */
  now?: () => Date;
}

interface ChainState {
  index: number;
  size: number;
  prev: string;
  seq: number;
  keyId: string | undefined;
}

/**
 * Append-only JSONL audit log. Each line carries the hash (HMAC under a key
 * id, when keys are configured) of the previous one, across rotated files, so
 * `verifyAuditLog` finds the first edited, inserted or deleted line. Appends
 * are serialised; each process writes its own series of files.
 */
export class AuditLog {
  readonly #dir: string;
  readonly #base: string;
  readonly #maxBytes: number;
  readonly #fsync: boolean;
  readonly #key: AuditHmacKey | undefined;
  readonly #retention: AuditRetention | undefined;
  readonly #now: () => Date;
  #state: ChainState;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #pruned = false;

  private constructor(
    options: AuditLogOptions,
    base: string,
    key: AuditHmacKey | undefined,
    state: ChainState,
  ) {
    this.#dir = options.dir;
    this.#base = base;
    this.#maxBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
    this.#fsync = options.fsync ?? true;
    this.#key = key;
    this.#retention = options.retention;
    this.#now = options.now ?? (() => new Date());
    this.#state = state;
  }

  /**
   * Opens (or creates) this process's series in `options.dir`, continuing its
   * chain when it exists. A key id different from the one the directory's
   * latest entry was chained under is recorded as `audit.key_rotated`.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    if (options.maxFileBytes !== undefined && !(options.maxFileBytes > 0)) {
      throw new RangeError(`maxFileBytes must be positive, got ${options.maxFileBytes}`);
    }
    const keys = options.hmacKeys ?? [];
    const key = options.activeKeyId === undefined ? keys[0] : keys.find((k) => k.id === options.activeKeyId);
    if (options.activeKeyId !== undefined && key === undefined) {
      throw new RangeError(`activeKeyId ${options.activeKeyId} must name one of hmacKeys`);
    }
    await mkdir(options.dir, { recursive: true });
    const base = options.baseName ?? processSeriesName("audit", options.now?.() ?? new Date());
    const own = await listAuditFiles(options.dir, base);
    let state: ChainState = { index: 1, size: 0, prev: GENESIS_HASH, seq: 0, keyId: undefined };
    for (let i = own.length - 1; i >= 0; i--) {
      // An empty current file (rotated just before a crash) continues the previous file's chain.
      const tail = await readTail((own[i] as { path: string }).path);
      if (i === own.length - 1)
        state = { ...state, index: (own[i] as { index: number }).index, size: tail.size };
      if (tail.seq > 0) {
        state = { ...state, prev: tail.prev, seq: tail.seq, keyId: tail.keyId };
        break;
      }
    }
    const log = new AuditLog(options, base, key, state);
    const previousKeyId = state.seq > 0 ? state.keyId : await latestKeyId(options.dir, base);
    if (previousKeyId !== key?.id) {
      await log.append({
        action: "audit.key_rotated",
        actor: "system",
        outcome: "success",
        details: { from: previousKeyId ?? null, to: key?.id ?? null },
      });
    }
    return log;
  }

  /** Path of the file the next append goes to (before rotation). */
  get currentFile(): string {
    return join(this.#dir, auditFileName(this.#base, this.#state.index));
  }

  /** Id of the HMAC key entries are chained under; undefined for plain sha256. */
  get keyId(): string | undefined {
    return this.#key?.id;
  }

  /** Appends one event; resolves with the written entry once it is on disk. */
  append(event: AuditEvent): Promise<AuditEntry> {
    if (this.#closed) return Promise.reject(new RangeError("audit log is closed"));
    const result = this.#tail.then(() => this.#write(event));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for pending appends and refuses new ones; safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }

  async #write(event: AuditEvent): Promise<AuditEntry> {
    const index = this.#state.index;
    const entry = await this.#writeLine(event);
    // Retention runs when a file is started: the first write of this process and each rotation.
    if (this.#retention && (!this.#pruned || this.#state.index !== index)) {
      this.#pruned = true;
      await this.#prune(this.#retention);
    }
    return entry;
  }

  async #writeLine(event: AuditEvent): Promise<AuditEntry> {
    const s = this.#state;
    const content: Omit<AuditEntry, "hash"> = {
      ...event,
      seq: s.seq + 1,
      ts: this.#now().toISOString(),
      prev: s.prev,
      ...(this.#key ? { keyId: this.#key.id } : {}),
    };
    const entry: AuditEntry = { ...content, hash: digestEntry(content, this.#key?.key) };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    if (s.size > 0 && s.size + line.length > this.#maxBytes) {
      s.index += 1;
      s.size = 0;
    }
    const handle = await open(this.currentFile, "a");
    try {
      await handle.write(line);
      if (this.#fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    s.size += line.length;
    s.seq = entry.seq;
    s.prev = entry.hash;
    return entry;
  }

  /** Removes what the retention limits allow and anchors the chain's new start in the chain itself. */
  async #prune(retention: AuditRetention): Promise<void> {
    const pruned = await pruneAuditFiles(this.#dir, this.#base, this.#state.index, retention, this.#now());
    if (pruned.removed.length === 0) return;
    await this.#writeLine({
      action: "audit.retention",
      actor: "system",
      outcome: "success",
      // A bounded list keeps this entry small next to the files it replaces.
      details: {
        removedCount: pruned.removed.length,
        removed: pruned.removed.slice(0, 10),
        ...(pruned.firstKept ? { firstKept: pruned.firstKept } : {}),
      },
    });
  }
}

/** Key id of the newest entry of the directory's other series (what this process succeeds). */
async function latestKeyId(dir: string, exceptBase: string): Promise<string | undefined> {
  const series = [...(await listAuditSeries(dir)).entries()].filter(([base]) => base !== exceptBase);
  const files = series.at(-1)?.[1] ?? [];
  for (let i = files.length - 1; i >= 0; i--) {
    const tail = await readTail((files[i] as { path: string }).path, false);
    if (tail.seq > 0) return tail.keyId;
  }
  return undefined;
}

/** Chain state at the end of `path`; drops a torn last line left by a crash mid-write (own files only). */
async function readTail(
  path: string,
  repair = true,
): Promise<{ size: number; prev: string; seq: number; keyId: string | undefined }> {
  let text = await readFile(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    const keep = text.lastIndexOf("\n") + 1;
    if (repair) await truncate(path, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  const lastLine = text
    .split("\n")
    .filter((l) => l.length > 0)
    .at(-1);
  const size = repair ? (await stat(path)).size : Buffer.byteLength(text);
  if (lastLine === undefined) return { size, prev: GENESIS_HASH, seq: 0, keyId: undefined };
  const last = JSON.parse(lastLine) as AuditEntry;
  return { size, prev: last.hash, seq: last.seq, keyId: last.keyId };
}
