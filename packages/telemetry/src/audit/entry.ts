import { createHash, createHmac } from "node:crypto";

/** Operations the audit log records. Free-form strings are allowed for new ones. */
export type AuditAction =
  | "model.load"
  | "model.unload"
  | "model.pull"
  | "model.verify"
  | "model.quarantine"
  | "config.change"
  | "config.reload"
  | "access.denied"
  | "auth.failure"
  | "auth.failure.summary"
  | "model.access"
  | "content.blocked"
  | "audit.open"
  | "audit.key_rotated"
  | "audit.retention"
  | (string & {});

/** What a caller records; the log adds sequence, time and the chain. */
export interface AuditEvent {
  action: AuditAction;
  /** Who did it: API key id, `cli`, `system`. */
  actor?: string;
  /** What it was done to: a model id, a config file. */
  target?: string;
  /** How it ended: `success`, `failure`, `rejected`, `denied`. */
  outcome?: string;
  /** JSON-serialisable context (digests, changed fields, reasons). */
  details?: Record<string, unknown>;
  /** Correlation id of the request that caused it, when there was one. */
  requestId?: string;
}

/** One line of the audit log. */
export interface AuditEntry extends AuditEvent {
  /** 1-based position in the whole chain, continuing across rotated files. */
  seq: number;
  /** ISO-8601 time of the append. */
  ts: string;
  /** `hash` of the previous entry; {@link GENESIS_HASH} for the first. */
  prev: string;
  /** Id of the HMAC key `hash` was computed with; absent for plain sha256. */
  keyId?: string;
  /** sha256 (or HMAC-sha256 under `keyId`) of this entry without `hash`, in canonical JSON. */
  hash: string;
}

/** `prev` of the very first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted at every level, so the digest does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Digest of an entry's content (everything but `hash`). */
export function digestEntry(
  entry: Omit<AuditEntry, "hash"> & { hash?: unknown },
  key?: string | Buffer,
): string {
  const { hash: _ignored, ...content } = entry;
  const text = canonicalJson(content);
  return key === undefined
    ? createHash("sha256").update(text).digest("hex")
    : createHmac("sha256", key).update(text).digest("hex");
}
