import { readdir } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** Rotated files are `<series>-000001.jsonl`, `<series>-000002.jsonl`, …; the highest is current. */
const filePattern = /^(.+)-(\d{6,})\.jsonl$/;

export function auditFileName(base: string, index: number): string {
  return `${base}-${String(index).padStart(6, "0")}.jsonl`;
}

/**
 * Name of this process's series: `<prefix>-<start time>-<host>-<pid>`. One
 * writer per series is what keeps a chain linear, so two processes sharing a
 * directory (replicas on one volume, a restart overlap) never fork a chain.
 */
export function processSeriesName(prefix: string, startedAt: Date = new Date()): string {
  const time = startedAt.toISOString().replace(/[-:.]/g, "");
  const host =
    hostname()
      .replace(/[^A-Za-z0-9.]/g, "_")
      .slice(0, 64) || "host";
  return `${prefix}-${time}-${host}-${process.pid}`;
}

export interface AuditFileRef {
  path: string;
  base: string;
  index: number;
}

export function parseAuditFileName(path: string): AuditFileRef | undefined {
  const match = filePattern.exec(basename(path));
  if (!match) return undefined;
  return { path, base: match[1] as string, index: Number(match[2]) };
}

/** The files of one series (or all series when `base` is undefined) in chain order. */
export async function listAuditFiles(dir: string, base?: string): Promise<AuditFileRef[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .map((name) => parseAuditFileName(join(dir, name)))
    .filter((ref): ref is AuditFileRef => ref !== undefined && (base === undefined || ref.base === base))
    .sort((a, b) => (a.base === b.base ? a.index - b.index : a.base < b.base ? -1 : 1));
}

/** Every series of a directory, each in chain order, series sorted by name (start time first). */
export async function listAuditSeries(dir: string): Promise<Map<string, AuditFileRef[]>> {
  const series = new Map<string, AuditFileRef[]>();
  for (const ref of await listAuditFiles(dir)) {
    const files = series.get(ref.base) ?? [];
    files.push(ref);
    series.set(ref.base, files);
  }
  return series;
}

/**
 * The series to verify for `path`: every series of a directory, or for one
 * rotated file its series up to and including it (its first line chains to
 * the previous file's last line, so those must be checked too).
 */
export async function seriesToVerify(path: string, isDirectory: boolean): Promise<string[][]> {
  if (isDirectory) return [...(await listAuditSeries(path)).values()].map((refs) => refs.map((f) => f.path));
  const ref = parseAuditFileName(path);
  if (!ref) return [[path]];
  const series = await listAuditFiles(dirname(path), ref.base);
  return [series.filter((f) => f.index <= ref.index).map((f) => f.path)];
}
