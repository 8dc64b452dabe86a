import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Rotated files are `<base>-000001.jsonl`, `<base>-000002.jsonl`, …; the highest is current. */
const filePattern = /^(.+)-(\d{6,})\.jsonl$/;

export function auditFileName(base: string, index: number): string {
  return `${base}-${String(index).padStart(6, "0")}.jsonl`;
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

/** The files of one series in chain order. */
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
    .sort((a, b) => a.index - b.index);
}

/**
 * The files to verify for `path`: every file of a directory's series, or for
 * one rotated file the series up to and including it (its first line chains
 * to the previous file's last line, so those must be checked too).
 */
export async function filesToVerify(path: string, isDirectory: boolean): Promise<string[]> {
  if (isDirectory) {
    const files = await listAuditFiles(path);
    const bases = new Set(files.map((f) => f.base));
    if (bases.size > 1) {
      throw new RangeError(`${path} holds several audit series (${[...bases].join(", ")}); name one file`);
    }
    return files.map((f) => f.path);
  }
  const ref = parseAuditFileName(path);
  if (!ref) return [path];
  const series = await listAuditFiles(dirname(path), ref.base);
  return series.filter((f) => f.index <= ref.index).map((f) => f.path);
}
