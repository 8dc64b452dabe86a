import { readFile, stat } from "node:fs/promises";
import { type AuditEntry, digestEntry, GENESIS_HASH } from "./entry.ts";
import { seriesToVerify } from "./files.ts";
import { type AuditKeyring, keyFor } from "./keys.ts";

/** What broke the chain first. */
export type AuditProblemKind = "changed" | "inserted" | "deleted" | "malformed" | "unkeyed";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** File of the offending line (for `deleted`: of the line after the gap). */
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  message: string;
}

export interface AuditSeriesResult {
  ok: boolean;
  /** Files checked, in chain order. */
  files: string[];
  /** Entries verified before the first problem (all of them when `ok`). */
  entries: number;
  /** Hash and seq of the last verified entry; compare with a copy kept elsewhere to detect a cut tail. */
  head?: { seq: number; hash: string };
  problem?: AuditProblem;
}

/** Result of {@link verifyAuditLog}: every series, and the first problem found in any of them. */
export interface AuditVerifyResult extends AuditSeriesResult {
  /** One result per series (per writing process), in start order. */
  series: AuditSeriesResult[];
  /**
   * What was proven: `hmac` — every entry's HMAC under a given key (nobody
   * without the key rewrote it); `sha256` — plain digests (catches accidents
   * and careless edits, not a rewrite); `links` — keyed entries checked
   * without their key, so only that the chain is whole.
   */
  proof: "hmac" | "sha256" | "links";
}

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /**
   * HMAC keys the log was written with. With keys, every entry must carry a
   * key id the ring holds and a matching HMAC; an unkeyed entry fails.
   * Defaults to none: plain entries are hashed, keyed ones checked for linkage only.
   */
  keys?: AuditKeyring;
}

interface Line {
  file: string;
  line: number;
  entry: AuditEntry | undefined;
  intact: boolean;
  /** Verified with keys, but the entry names no key id the ring holds. */
  unkeyed: boolean;
}

/**
 * Verifies the hash chains of an audit log: a directory (every series, each
 * with its rotated files) or one file (with the files before it in its
 * series). Reports the first changed, inserted or deleted line. A cut tail
 * (last lines deleted) leaves a valid chain; compare `head` with a copy kept
 * elsewhere to catch it. A series whose oldest files were removed by
 * retention is accepted from the start its own `audit.retention` entry names.
 */
export async function verifyAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
): Promise<AuditVerifyResult> {
  const directory = (await stat(path)).isDirectory();
  for (let attempt = 1; ; attempt++) {
    try {
      return await verifyOnce(path, directory, options);
    } catch (error) {
      // A live log: retention removed a file between the listing and its reading (seen in
      // CI while a server was still writing). The files are listed again; the series is
      // then accepted from the start its audit.retention entry names.
      if (!directory || attempt >= 3 || (error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

async function verifyOnce(
  path: string,
  directory: boolean,
  options: VerifyAuditLogOptions,
): Promise<AuditVerifyResult> {
  const all = await seriesToVerify(path, directory);
  const series: AuditSeriesResult[] = [];
  let linksOnly = false;
  for (const files of all) {
    const result = await verifySeries(files, options.keys);
    if (result.linksOnly) linksOnly = true;
    series.push(result.result);
  }
  const failed = series.find((s) => !s.ok);
  const entries = series.reduce((sum, s) => sum + s.entries, 0);
  const files = series.flatMap((s) => s.files);
  const last = series.at(-1);
  return {
    ok: failed === undefined,
    files,
    entries,
    ...(failed?.head ? { head: failed.head } : last?.head && !failed ? { head: last.head } : {}),
    ...(failed?.problem ? { problem: failed.problem } : {}),
    series,
    proof: options.keys !== undefined ? "hmac" : linksOnly ? "links" : "sha256",
  };
}

async function verifySeries(
  files: string[],
  keys: AuditKeyring | undefined,
): Promise<{ result: AuditSeriesResult; linksOnly: boolean }> {
  const lines: Line[] = [];
  let linksOnly = false;
  for (const file of files) {
    const text = await readFile(file, "utf8");
    const raw = text.split("\n");
    if (raw.at(-1) === "") raw.pop();
    raw.forEach((source, i) => {
      const entry = parseEntry(source);
      let intact = false;
      let unkeyed = false;
      if (entry !== undefined) {
        if (keys !== undefined) {
          const key = entry.keyId === undefined ? undefined : keyFor(keys, entry.keyId);
          unkeyed = key === undefined;
          intact = key !== undefined && digestEntry(entry, key) === entry.hash;
        } else if (entry.keyId !== undefined) {
          // Without the key only the links can be checked.
          linksOnly = true;
          intact = /^[0-9a-f]{64}$/.test(entry.hash);
        } else intact = digestEntry(entry) === entry.hash;
      }
      lines.push({ file, line: i + 1, entry, intact, unkeyed });
    });
  }

  const start = anchorOf(lines);
  let prev = start.prev;
  let expectedSeq = start.seq;
  const seen = new Map<string, number>(); // hash → index in `lines`
  for (let i = 0; i < lines.length; i++) {
    const current = lines[i] as Line;
    const problem = check(current, i, lines, prev, expectedSeq, seen);
    if (problem)
      return { result: { ok: false, files, entries: i, ...headOf(lines[i - 1]), problem }, linksOnly };
    const entry = current.entry as AuditEntry;
    seen.set(entry.hash, i);
    prev = entry.hash;
    expectedSeq = entry.seq + 1;
  }
  return { result: { ok: true, files, entries: lines.length, ...headOf(lines.at(-1)) }, linksOnly };
}

/**
 * Where the chain must start: the genesis, or the first kept entry an intact
 * `audit.retention` entry of the same series names (files before it were
 * removed on purpose, and that entry is itself protected by the chain).
 */
function anchorOf(lines: readonly Line[]): { prev: string; seq: number } {
  const first = lines[0]?.entry;
  if (first === undefined || first.seq === 1) return { prev: GENESIS_HASH, seq: 1 };
  for (const line of lines) {
    const kept =
      line.intact && line.entry?.action === "audit.retention" ? line.entry.details?.firstKept : undefined;
    const anchor = kept as { seq?: unknown; prev?: unknown } | undefined;
    if (anchor?.seq === first.seq && anchor.prev === first.prev) return { prev: first.prev, seq: first.seq };
  }
  return { prev: GENESIS_HASH, seq: 1 };
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
  if (!current.intact && current.unkeyed && current.entry !== undefined) {
    const id = current.entry.keyId;
    return at(
      current,
      "unkeyed",
      id === undefined ? "entry carries no HMAC key id" : `no key for key id ${id}`,
    );
  }
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
