/** An HMAC key of the audit chain. */
export interface AuditHmacKey {
  /** Written beside each entry, so verification finds the key and keys can rotate. */
  id: string;
  /** The secret; any length, 32 random bytes or more recommended. */
  key: string | Buffer;
}

/**
 * Keys for verification: a list of ids and keys, or one key that applies to
 * whatever key id an entry names (a `--key-file` holding only the secret).
 */
export type AuditKeyring = readonly AuditHmacKey[] | { anyId: string | Buffer };

/** The key an entry with `keyId` must verify under; undefined when the ring lacks it. */
export function keyFor(ring: AuditKeyring, keyId: string): string | Buffer | undefined {
  if ("anyId" in ring) return ring.anyId;
  return ring.find((k) => k.id === keyId)?.key;
}

/**
 * Parses a key file: lines `id=secret` name one key each; any other content
 * (trimmed) is one secret for every key id.
 */
export function parseKeyFile(text: string): AuditKeyring {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("#"));
  const named = lines.map((l) => /^([A-Za-z0-9._-]{1,64})=(.+)$/.exec(l));
  if (lines.length > 0 && named.every((m) => m !== null)) {
    return named.map((m) => ({
      id: (m as RegExpExecArray)[1] as string,
      key: (m as RegExpExecArray)[2] as string,
    }));
  }
  return { anyId: text.trim() };
}
