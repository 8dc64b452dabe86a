import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KeyRing } from "./KeyRing.ts";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32).toString("base64") };
const plaintext = Buffer.from("embedding bytes");

describe("KeyRing", () => {
  it("seals with the active key and opens entries of every configured key", () => {
    const old = new KeyRing([k1], "k1").seal(plaintext, "key-a");
    const rotated = new KeyRing([k1, k2], "k2");
    const fresh = rotated.seal(plaintext, "key-a");
    expect(old.keyId).toBe("k1");
    expect(fresh.keyId).toBe("k2");
    expect(rotated.open(old.keyId, old.sealed, "key-a")).toEqual(plaintext);
    expect(rotated.open(fresh.keyId, fresh.sealed, "key-a")).toEqual(plaintext);
  });

  it("reports an unknown key id, a wrong key, a flipped bit and a moved ciphertext without throwing", () => {
    const ring = new KeyRing([k1], "k1");
    const { sealed } = ring.seal(plaintext, "key-a");
    expect(ring.open("k9", sealed, "key-a")).toBe("unknown-key");
    expect(new KeyRing([{ id: "k1", key: randomBytes(32) }], "k1").open("k1", sealed, "key-a")).toBe(
      "decrypt-failed",
    );
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(ring.open("k1", flipped, "key-a")).toBe("decrypt-failed");
    expect(ring.open("k1", sealed, "key-b")).toBe("decrypt-failed");
    expect(ring.open("k1", sealed.subarray(0, 10), "key-a")).toBe("decrypt-failed");
  });

  it("rejects short keys, bad ids, duplicates and an unconfigured active id with RangeError naming the id", () => {
    expect(() => new KeyRing([{ id: "short", key: randomBytes(16) }], "short")).toThrow(
      /"short" must be 32 bytes/,
    );
    expect(() => new KeyRing([{ id: "bad id", key: randomBytes(32) }], "bad id")).toThrow(RangeError);
    expect(() => new KeyRing([k1, k1], "k1")).toThrow(/configured twice/);
    expect(() => new KeyRing([k1], "k2")).toThrow(/activeKeyId "k2"/);
    expect(() => new KeyRing([], "k1")).toThrow(RangeError);
  });
});
