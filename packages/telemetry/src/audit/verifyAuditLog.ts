import { readFile, stat } from "node:fs/promises";
import { type AuditEntry, digestEntry, GENESIS_HASH } from "./entry.ts";
import { filesToVerify } from "./files.ts";

/** What broke the chain first. */
export type AuditProblemKind = "changed" | "inserted" | "deleted" | "malformed";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** File of the offending line (for `deleted`: of the line after the gap). */
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  message: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Files checked, in chain order. */
  files: string[];
  /** Entries verified before the first problem (all of them when `ok`). */
  entries: number;
  /** Hash and seq of the last verified entry; compare with a copy kept elsewhere to detect a cut tail. */
  head?: { seq: number; hash: string };
  problem?: AuditProblem;
}

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** HMAC key the log was written with. Defaults to none (plain sha256). */
  hmacKey?: string | Buffer;
}

interface Line {
  file: string;
  line: number;
  entry: AuditEntry | undefined;
  intact: boolean;
}

/**
 * Verifies the hash chain of an audit log: a directory (all its rotated files)
 * or one file (with the files before it in its series). Reports the first
 * changed, inserted or deleted line. A cut tail (last lines deleted) leaves a
 * valid chain; compare `head` with a copy kept elsewhere to catch it.
 */
export async function verifyAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
): Promise<AuditVerifyResult> {
  const files = await filesToVerify(path, (await stat(path)).isDirectory());
  const lines: Line[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8");
    const raw = text.split("\n");
    if (raw.at(-1) === "") raw.pop();
    raw.forEach((source, i) => {
      const entry = parseEntry(source);
      const intact = entry !== undefined && digestEntry(entry, options.hmacKey) === entry.hash;
      lines.push({ file, line: i + 1, entry, intact });
    });
  }

  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  const seen = new Map<string, number>(); // hash → index in `lines`
  for (let i = 0; i < lines.length; i++) {
    const current = lines[i] as Line;
    const problem = check(current, i, lines, prev, expectedSeq, seen);
    if (problem) return { ok: false, files, entries: i, ...headOf(lines[i - 1]), problem };
    const entry = current.entry as AuditEntry;
    seen.set(entry.hash, i);
    prev = entry.hash;
    expectedSeq = entry.seq + 1;
  }
  return { ok: true, files, entries: lines.length, ...headOf(lines.at(-1)) };
}

function check(
  current: Line,
  i: number,
  lines: readonly Line[],
  prev: string,
  expectedSeq: number,
  seen: ReadonlyMap<string, number>,
): AuditProblem | undefined {
  const next = lines[i + 1];
  const at = (line: Line, kind: AuditProblemKind, message: string): AuditProblem => ({
    kind,
    file: line.file,
    line: line.line,
    message,
  });
  if (!current.intact) {
    // A foreign line the chain skips over was inserted; otherwise this one was edited.
    if (next?.intact && next.entry?.prev === prev)
      return at(current, "inserted", "line is not part of the chain");
    if (current.entry === undefined) return at(current, "malformed", "line is not an audit entry");
    return at(current, "changed", "content does not match its hash");
  }
  const entry = current.entry as AuditEntry;
  if (entry.prev === prev) {
    return entry.seq === expectedSeq
      ? undefined
      : at(current, "changed", `seq ${entry.seq}, expected ${expectedSeq}`);
  }
  const anchor = seen.get(entry.prev);
  if (anchor !== undefined) {
    const first = lines[anchor + 1] as Line;
    return at(
      first,
      "inserted",
      `lines from here up to ${current.file}:${current.line} are not part of the chain`,
    );
  }
  if (entry.seq > expectedSeq) {
    const missing = entry.seq - expectedSeq;
    return at(
      current,
      "deleted",
      `${missing} line(s) (seq ${expectedSeq}–${entry.seq - 1}) missing before this line`,
    );
  }
  // This line is fine but its predecessor is not the one it was chained to:
  // the predecessor was rewritten with a fresh hash.
  const previous = lines[i - 1];
  if (previous) return at(previous, "changed", "line was rewritten: the next line does not chain to it");
  return at(current, "changed", "first line does not start the chain");
}

function parseEntry(source: string): AuditEntry | undefined {
  try {
    const value = JSON.parse(source) as Partial<AuditEntry> | null;
    if (
      value === null ||
      typeof value !== "object" ||
      typeof value.seq !== "number" ||
      typeof value.prev !== "string" ||
      typeof value.hash !== "string"
    ) {
      return undefined;
    }
    return value as AuditEntry;
  } catch {
    return undefined;
  }
}

function headOf(line: Line | undefined): { head?: { seq: number; hash: string } } {
  return line?.entry ? { head: { seq: line.entry.seq, hash: line.entry.hash } } : {};
}
