import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MissReason } from "./CacheEvents.ts";
import { createCache } from "./createCache.ts";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-cache-"));
  path = join(dir, "cache.db");
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

/** A cache with only the persistent tier, so every read reaches the disk. */
function diskCache(keys = [k1], activeKeyId = "k1", extra: { maxBytes?: number; ttlMs?: number } = {}) {
  const cache = createCache({ memory: false, persistent: { path, keys, activeKeyId, ...extra } });
  const misses: MissReason[] = [];
  cache.on("miss", (e) => misses.push(e.reason));
  return { cache, misses };
}

describe("persistent tier", () => {
  it("keeps entries across close and reopen", async () => {
    const first = diskCache().cache;
    await first.set("vec", new Float32Array([1, 2, 3]));
    await first.set("gen", { text: "hello", tokens: 3 });
    await first.close();
    const second = diskCache().cache;
    expect(Array.from((await second.get<Float32Array>("vec"))!)).toEqual([1, 2, 3]);
    expect(await second.get("gen")).toEqual({ text: "hello", tokens: 3 });
    await second.close();
  });

  it("stores values encrypted: the plaintext is nowhere in the file", async () => {
    const { cache } = diskCache();
    await cache.set("gen", { text: "a very recognisable secret sentence" });
    await cache.close();
    const db = new Database(path, { readonly: true });
    const row = db.prepare("SELECT key_id, value FROM entries").get() as { key_id: string; value: Buffer };
    db.close();
    expect(row.key_id).toBe("k1");
    expect(row.value.includes("recognisable")).toBe(false);
  });

  it("reads entries written under a rotated-out key while that key is configured, and rewraps them", async () => {
    const old = diskCache([k1], "k1").cache;
    await old.set("gen", { text: "before rotation" });
    await old.close();
    const { cache, misses } = diskCache([k1, k2], "k2");
    expect(await cache.get("gen")).toEqual({ text: "before rotation" });
    expect(cache.stats().persistent?.rewrapped).toBe(1);
    await cache.close();
    // After the rewrap, the old key can be dropped without losing the entry.
    const onlyNew = diskCache([k2], "k2").cache;
    expect(await onlyNew.get("gen")).toEqual({ text: "before rotation" });
    expect(misses).toEqual([]);
    await onlyNew.close();
  });

  it("counts an entry under an unconfigured key as a miss", async () => {
    const old = diskCache([k1], "k1").cache;
    await old.set("gen", "x");
    await old.close();
    const { cache, misses } = diskCache([k2], "k2");
    expect(await cache.get("gen")).toBeUndefined();
    expect(misses).toEqual(["unknown-key"]);
    expect(cache.stats().persistent).toMatchObject({ misses: 1, unreadable: 1, hits: 0 });
    await cache.close();
  });

  it("treats a wrong key under the same id as a miss and keeps the row for the right key", async () => {
    const writer = diskCache([k1], "k1").cache;
    await writer.set("gen", "x");
    await writer.close();
    const { cache, misses } = diskCache([{ id: "k1", key: randomBytes(32) }], "k1");
    await expect(cache.get("gen")).resolves.toBeUndefined();
    expect(misses).toEqual(["decrypt-failed"]);
    await cache.close();
    const right = diskCache([k1], "k1").cache;
    expect(await right.get("gen")).toBe("x");
    await right.close();
  });

  it("treats tampered ciphertext as a miss and still serves the other entries", async () => {
    const writer = diskCache().cache;
    await writer.set("a", "first");
    await writer.set("b", "second");
    await writer.close();
    const db = new Database(path);
    const row = db.prepare("SELECT value FROM entries WHERE key = 'a'").get() as { value: Buffer };
    row.value[row.value.length - 1]! ^= 0x01;
    db.prepare("UPDATE entries SET value = ? WHERE key = 'a'").run(row.value);
    // A row whose value is not even a blob must not throw either.
    db.prepare(
      "INSERT INTO entries (key, key_id, value, size, accessed_at) VALUES ('c', 'k1', 'text', 4, 0)",
    ).run();
    db.close();
    const { cache, misses } = diskCache();
    await expect(cache.get("a")).resolves.toBeUndefined();
    await expect(cache.get("c")).resolves.toBeUndefined();
    expect(await cache.get("b")).toBe("second");
    expect(misses).toEqual(["decrypt-failed", "corrupt"]);
    await cache.close();
  });

  it("rejects a ciphertext moved under another cache key", async () => {
    const writer = diskCache().cache;
    await writer.set("a", "for a");
    await writer.set("b", "for b");
    await writer.close();
    const db = new Database(path);
    db.prepare(
      "UPDATE entries SET value = (SELECT value FROM entries WHERE key = 'a') WHERE key = 'b'",
    ).run();
    db.close();
    const { cache, misses } = diskCache();
    expect(await cache.get("b")).toBeUndefined();
    expect(misses).toEqual(["decrypt-failed"]);
    await cache.close();
  });

  it("moves a corrupt database file aside, starts afresh, and never throws", async () => {
    writeFileSync(path, Buffer.concat([Buffer.from("definitely not sqlite"), randomBytes(8192)]));
    const { cache } = diskCache();
    expect(cache.stats().persistent?.recoveries).toBe(1);
    await expect(cache.get("k")).resolves.toBeUndefined();
    await cache.set("k", "works again");
    expect(await cache.get("k")).toBe("works again");
    await cache.close();
    const aside = readdirSync(dir).filter((name) => name.startsWith("cache.db.corrupt-"));
    expect(aside).toHaveLength(1);
    expect(existsSync(path)).toBe(true);
  });

  it("survives pages corrupted in the middle of the file: reads miss or hit, nothing throws", async () => {
    const writer = diskCache().cache;
    for (let i = 0; i < 300; i++) await writer.set(`e${i}`, new Float32Array(64).fill(i));
    await writer.close();
    const file = readFileSync(path);
    // Keep the header page, scramble the rest: the file opens, then queries meet damaged b-tree pages.
    randomBytes(file.length - 4096).copy(file, 4096);
    writeFileSync(path, file);
    const { cache } = diskCache();
    for (let i = 0; i < 300; i++) {
      const value = await cache.get(`e${i}`);
      if (value !== undefined) expect((value as Float32Array)[0]).toBe(i);
    }
    await cache.set("after", "still works");
    expect(await cache.get("after")).toBe("still works");
    const stats = cache.stats().persistent!;
    expect(stats.recoveries + stats.errors).toBeGreaterThan(0);
    await cache.close();
  });

  it("treats a path it cannot open as a miss, and opens it once the cause is gone", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "a file where the cache directory should be");
    path = join(blocker, "cache.db");
    const { cache, misses } = diskCache();
    await expect(cache.get("k")).resolves.toBeUndefined();
    await cache.set("k", "lost");
    expect(misses).toEqual(["error"]);
    expect(cache.stats().persistent!.errors).toBeGreaterThan(0);
    rmSync(blocker);
    vi.setSystemTime(Date.now() + 5001);
    await cache.set("k", "kept");
    expect(await cache.get("k")).toBe("kept");
    await cache.close();
  });

  it("evicts least recently used entries to stay within maxBytes", async () => {
    vi.useFakeTimers();
    const maxBytes = 20_000;
    const { cache } = diskCache([k1], "k1", { maxBytes });
    await cache.set("keep", new Float32Array(100));
    for (let i = 0; i < 200; i++) {
      vi.advanceTimersByTime(2000);
      // Reading "keep" keeps it recent, so the others go first.
      await cache.get("keep");
      await cache.set(`e${i}`, new Float32Array(100));
      expect(cache.stats().persistent!.bytes).toBeLessThanOrEqual(maxBytes);
    }
    const stats = cache.stats().persistent!;
    expect(stats.evictions).toBeGreaterThan(100);
    expect(await cache.get("keep")).toBeInstanceOf(Float32Array);
    expect(await cache.get("e0")).toBeUndefined();
    expect(await cache.get("e199")).toBeInstanceOf(Float32Array);
    await cache.close();
    const db = new Database(path, { readonly: true });
    const total = db.prepare("SELECT SUM(size) AS bytes FROM entries").get() as { bytes: number };
    db.close();
    expect(total.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it("expires entries after their TTL", async () => {
    vi.useFakeTimers();
    const { cache, misses } = diskCache([k1], "k1", { ttlMs: 5000 });
    await cache.set("k", "v");
    vi.advanceTimersByTime(4999);
    expect(await cache.get("k")).toBe("v");
    vi.advanceTimersByTime(2);
    expect(await cache.get("k")).toBeUndefined();
    expect(misses).toEqual(["expired"]);
    expect(cache.stats().persistent).toMatchObject({ entries: 0, expirations: 1 });
    await cache.close();
  });

  it("fills the memory tier from a disk hit", async () => {
    const writer = diskCache().cache;
    await writer.set("k", "v");
    await writer.close();
    const cache = createCache({ persistent: { path, keys: [k1], activeKeyId: "k1" } });
    expect(await cache.get("k")).toBe("v");
    expect(await cache.get("k")).toBe("v");
    expect(cache.stats().memory?.hits).toBe(1);
    expect(cache.stats().persistent?.hits).toBe(1);
    await cache.close();
  });

  it("rejects a missing path, a short key and an unknown active key with RangeError", () => {
    expect(() => createCache({ persistent: { path: "", keys: [k1], activeKeyId: "k1" } })).toThrow(
      /persistent.path/,
    );
    expect(() =>
      createCache({ persistent: { path, keys: [{ id: "k1", key: randomBytes(8) }], activeKeyId: "k1" } }),
    ).toThrow(RangeError);
    expect(() => createCache({ persistent: { path, keys: [k1], activeKeyId: "nope" } })).toThrow(/nope/);
  });
});
