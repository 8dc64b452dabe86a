import { readFile, rm, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { AuditEntry } from "./entry.ts";
import { listAuditSeries } from "./files.ts";

/** Size and age limits of an audit directory. */
export interface AuditRetention {
  /** Most bytes this process's series keeps; its oldest files go first, never the current one. Defaults to no limit. */
  maxTotalBytes?: number;
  /** Files last written longer ago than this are removed (whole series of other processes too). Defaults to no limit. */
  maxAgeMs?: number;
}

/** What a pruning pass removed, and where the series' chain now starts. */
export interface PruneResult {
  /** Names of the removed files, in removal order. */
  removed: string[];
  /** First entry of the series' oldest kept file: verification accepts the chain starting there. */
  firstKept?: { file: string; seq: number; prev: string };
}

/**
 * Applies the limits: the own series (`base`, current file `currentIndex`)
 * loses its oldest files by size and age; other series are removed only when
 * every file of theirs is past the age limit (their writer is gone, and a
 * partial cut would leave their chain without an anchor).
 */
export async function pruneAuditFiles(
  dir: string,
  base: string,
  currentIndex: number,
  retention: AuditRetention,
  now: Date,
): Promise<PruneResult> {
  const removed: string[] = [];
  const tooOld = (mtimeMs: number) =>
    retention.maxAgeMs !== undefined && now.getTime() - mtimeMs > retention.maxAgeMs;
  const series = await listAuditSeries(dir);
  for (const [name, files] of series) {
    if (name === base) continue;
    const stats = await Promise.all(files.map((f) => stat(f.path)));
    if (stats.length > 0 && stats.every((s) => tooOld(s.mtimeMs))) {
      for (const f of files) await rm(f.path, { force: true });
      removed.push(...files.map((f) => basename(f.path)));
    }
  }
  const own = (series.get(base) ?? []).filter((f) => f.index <= currentIndex);
  const sizes = await Promise.all(own.map((f) => stat(f.path)));
  let total = sizes.reduce((sum, s) => sum + s.size, 0);
  let kept = 0;
  for (let i = 0; i < own.length - 1; i++) {
    const s = sizes[i] as { size: number; mtimeMs: number };
    const overSize = retention.maxTotalBytes !== undefined && total > retention.maxTotalBytes;
    if (!overSize && !tooOld(s.mtimeMs)) break;
    await rm((own[i] as { path: string }).path, { force: true });
    removed.push(basename((own[i] as { path: string }).path));
    total -= s.size;
    kept = i + 1;
  }
  if (kept === 0) return { removed };
  const first = own[kept] as { path: string };
  const line = (await readFile(first.path, "utf8")).split("\n")[0] ?? "";
  const entry = JSON.parse(line) as AuditEntry;
  return { removed, firstKept: { file: basename(first.path), seq: entry.seq, prev: entry.prev } };
}
