import { mkdir, open, readFile, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { type AuditEntry, type AuditEvent, digestEntry, GENESIS_HASH } from "./entry.ts";
import { auditFileName, listAuditFiles } from "./files.ts";

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  /** Directory of the log files; created if missing. */
  dir: string;
  /** File name prefix. Defaults to `"audit"` (files `audit-000001.jsonl`, …). */
  baseName?: string;
  /** Size after which the next append starts a new file. Defaults to `10 MiB`. */
  maxFileBytes?: number;
  /** fsync after each append, so an acknowledged operation survives a power cut. Defaults to `true`. */
  fsync?: boolean;
  /**
   * Secret for HMAC-sha256 instead of sha256: then nobody without the key can
   * rewrite the chain from an edited line onwards. Defaults to none.
   */
  hmacKey?: string | Buffer;
  /** Clock, for tests. Defaults to `() => new Date()`. */
  now?: () => Date;
}

/**
 * Append-only JSONL audit log. Each line carries the hash of the previous
 * one, across rotated files, so `verifyAuditLog` finds the first edited,
 * inserted or deleted line. Appends are serialised; the log is safe to share
 * within one process (one writer per directory).
 */
export class AuditLog {
  readonly #dir: string;
  readonly #base: string;
  readonly #maxBytes: number;
  readonly #fsync: boolean;
  readonly #key: string | Buffer | undefined;
  readonly #now: () => Date;
  #index: number;
  #size: number;
  #prev: string;
  #seq: number;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    options: AuditLogOptions,
    state: { index: number; size: number; prev: string; seq: number },
  ) {
    this.#dir = options.dir;
    this.#base = options.baseName ?? "audit";
    this.#maxBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
    this.#fsync = options.fsync ?? true;
    this.#key = options.hmacKey;
    this.#now = options.now ?? (() => new Date());
    this.#index = state.index;
    this.#size = state.size;
    this.#prev = state.prev;
    this.#seq = state.seq;
  }

  /** Opens (or creates) the log in `options.dir`, continuing the chain of the files already there. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    if (options.maxFileBytes !== undefined && !(options.maxFileBytes > 0)) {
      throw new RangeError(`maxFileBytes must be positive, got ${options.maxFileBytes}`);
    }
    await mkdir(options.dir, { recursive: true });
    const files = await listAuditFiles(options.dir, options.baseName ?? "audit");
    const last = files.at(-1);
    if (!last) return new AuditLog(options, { index: 1, size: 0, prev: GENESIS_HASH, seq: 0 });
    const state = await readTail(last.path);
    // An empty current file (rotated just before a crash) continues the previous file's chain.
    for (let i = files.length - 2; state.seq === 0 && i >= 0; i--) {
      const earlier = await readTail((files[i] as { path: string }).path);
      state.prev = earlier.prev;
      state.seq = earlier.seq;
    }
    return new AuditLog(options, { index: last.index, ...state });
  }

  /** Path of the file the next append goes to (before rotation). */
  get currentFile(): string {
    return join(this.#dir, auditFileName(this.#base, this.#index));
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
    const content: Omit<AuditEntry, "hash"> = {
      ...event,
      seq: this.#seq + 1,
      ts: this.#now().toISOString(),
      prev: this.#prev,
    };
    const entry: AuditEntry = { ...content, hash: digestEntry(content, this.#key) };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    if (this.#size > 0 && this.#size + line.length > this.#maxBytes) {
      this.#index += 1;
      this.#size = 0;
    }
    const handle = await open(this.currentFile, "a");
    try {
      await handle.write(line);
      if (this.#fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    this.#size += line.length;
    this.#seq = entry.seq;
    this.#prev = entry.hash;
    return entry;
  }
}

/** Chain state at the end of `path`; drops a torn last line left by a crash mid-write. */
async function readTail(path: string): Promise<{ size: number; prev: string; seq: number }> {
  let text = await readFile(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    const keep = text.lastIndexOf("\n") + 1;
    await truncate(path, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  const lines = text.split("\n").filter((l) => l.length > 0);
  const lastLine = lines.at(-1);
  const size = (await stat(path)).size;
  if (lastLine === undefined) return { size, prev: GENESIS_HASH, seq: 0 };
  const last = JSON.parse(lastLine) as AuditEntry;
  return { size, prev: last.hash, seq: last.seq };
}
