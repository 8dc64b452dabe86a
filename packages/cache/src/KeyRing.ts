import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** One AES-256 key. */
export interface EncryptionKey {
  /** Stored with every entry so keys can rotate: 1–64 characters of `A–Z a–z 0–9 . _ -`. */
  id: string;
  /** 32 bytes, or their base64 encoding. */
  key: Uint8Array | string;
}

/** Why sealed bytes did not open. */
export type OpenFailure = "unknown-key" | "decrypt-failed";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The configured AES-256-GCM keys. New entries are sealed with the active key;
 * entries sealed with any other configured key still open, so a key can be
 * rotated by adding the new one, making it active, and removing the old one
 * once its entries have expired or been rewritten.
 */
export class KeyRing {
  readonly #keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  /** @throws RangeError naming the key id when a key is malformed, or when `activeKeyId` is not configured. */
  constructor(keys: readonly EncryptionKey[], activeKeyId: string) {
    if (keys.length === 0) throw new RangeError("keys must hold at least one key");
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new RangeError(`key id ${JSON.stringify(id)} must match ${KEY_ID}`);
      if (this.#keys.has(id)) throw new RangeError(`key id ${JSON.stringify(id)} is configured twice`);
      const bytes = typeof key === "string" ? Buffer.from(key, "base64") : Buffer.from(key);
      // The key itself is never printed: only its id and length.
      if (bytes.byteLength !== 32) {
        throw new RangeError(`key ${JSON.stringify(id)} must be 32 bytes, got ${bytes.byteLength}`);
      }
      this.#keys.set(id, bytes);
    }
    if (!this.#keys.has(activeKeyId)) {
      throw new RangeError(`activeKeyId ${JSON.stringify(activeKeyId)} is not one of the configured keys`);
    }
    this.activeKeyId = activeKeyId;
  }

  /** Whether entries sealed under this id can be opened. */
  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /**
   * Encrypts with the active key. `aad` (the cache key) is authenticated, so a
   * ciphertext copied under another cache key fails to open.
   * Layout: iv (12) | tag (16) | ciphertext.
   */
  seal(plaintext: Uint8Array, aad: string): { keyId: string; sealed: Buffer } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyId: this.activeKeyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  /** Decrypts, or says why it could not; never throws. */
  open(keyId: string, sealed: Uint8Array, aad: string): Buffer | OpenFailure {
    const key = this.#keys.get(keyId);
    if (key === undefined) return "unknown-key";
    if (sealed.byteLength < IV_BYTES + TAG_BYTES) return "decrypt-failed";
    try {
      const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      return "decrypt-failed";
    }
  }
}
