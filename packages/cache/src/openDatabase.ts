import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** A better-sqlite3 connection. */
export type SqliteDatabase = Database.Database;

/** Whether an error means the database file itself is damaged (as opposed to busy, full or read-only). */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/**
 * Opens the cache database in WAL mode and creates its table. Reading the
 * journal mode touches the file header, so a file that is not a database
 * fails here rather than on the first request.
 */
export function openDatabase(path: string): SqliteDatabase {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode can lose the last commits on power loss, never consistency: right for a cache.
    db.pragma("synchronous = NORMAL");
    // Waiting for another process's lock blocks the event loop; a cache would rather miss than stall.
    db.pragma("busy_timeout = 50");
    db.exec(`
      CREATE TABLE IF NOT EXISTS entries (
        key TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        value BLOB NOT NULL,
        size INTEGER NOT NULL,
        expires_at INTEGER,
        accessed_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS entries_accessed_at ON entries (accessed_at);
    `);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Moves a damaged database (with its WAL) aside for inspection and returns
 * where it went; the caller then opens a fresh file at `path`.
 */
export function moveAside(path: string, now: number): string {
  const target = `${path}.corrupt-${now}`;
  if (existsSync(path)) renameSync(path, target);
  if (existsSync(`${path}-wal`)) renameSync(`${path}-wal`, `${target}-wal`);
  // The shared-memory index is rebuilt from the WAL; a stale one would describe the old file.
  rmSync(`${path}-shm`, { force: true });
  return target;
}
