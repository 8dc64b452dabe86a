import { createCipheriv, createHash } from "node:crypto";

/**
 * A seeded, deterministic byte stream: AES-256-CTR over zeros, keyed by the
 * seed and the tensor name. It runs at memory speed (AES-NI), which is what
 * lets a 350M-parameter model be written in seconds, and every tensor gets an
 * independent stream so a change to one preset never shifts another tensor.
 */
export class RandomStream {
  private readonly cipher;
  private zeros = Buffer.alloc(0);

  constructor(seed: number, label: string) {
    const key = createHash("sha256").update(`sluice-synth:${seed}:${label}`).digest();
    this.cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  }

  /** The next `n` pseudo-random bytes. */
  bytes(n: number): Buffer {
    if (this.zeros.length < n) this.zeros = Buffer.alloc(n);
    return this.cipher.update(this.zeros.subarray(0, n));
  }
}
