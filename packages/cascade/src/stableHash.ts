import { createHash } from "node:crypto";

/** Maps a key to a stable number in [0, 1): the same key gives the same arm on every replica. */
export function stableUnitHash(key: string, salt = ""): number {
  const digest = createHash("sha256").update(salt).update("\0").update(key).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}
