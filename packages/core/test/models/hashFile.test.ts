import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError, ModelCorruptError, ModelNotFoundError } from "../../src/errors/index.ts";
import { type HashProgress, hashFile } from "../../src/models/index.ts";

const MiB = 1024 * 1024;

describe("hashFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-hash-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the sha256 and byte count of a file", async () => {
    const path = join(dir, "abc.bin");
    await writeFile(path, "abc");
    const result = await hashFile(path);
    // FIPS 180-2's test vector for "abc".
    expect(result.sha256).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(result.bytes).toBe(3);
  });

  it("hashes an empty file to the sha256 of nothing, without reporting progress", async () => {
    const path = join(dir, "empty.bin");
    await writeFile(path, "");
    const progress: HashProgress[] = [];
    const result = await hashFile(path, { onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      bytes: 0,
    });
    expect(progress).toEqual([]);
  });

  it("reports progress per 4 MiB chunk with the caller's total, or 0 when none is given", async () => {
    const path = join(dir, "nine-mib.bin");
    const size = 9 * MiB + 5;
    await writeFile(path, Buffer.alloc(size, 0x5a));
    const withTotal: HashProgress[] = [];
    const a = await hashFile(path, { totalBytes: size, onProgress: (p) => withTotal.push(p) });
    expect(withTotal).toEqual([
      { hashedBytes: 4 * MiB, totalBytes: size },
      { hashedBytes: 8 * MiB, totalBytes: size },
      { hashedBytes: size, totalBytes: size },
    ]);
    const withoutTotal: HashProgress[] = [];
    const b = await hashFile(path, { onProgress: (p) => withoutTotal.push(p) });
    expect(withoutTotal.map((p) => p.totalBytes)).toEqual([0, 0, 0]);
    expect(withoutTotal.at(-1)?.hashedBytes).toBe(size);
    // The chunking does not change the digest.
    expect(a.sha256).toBe(b.sha256);
    expect(a.bytes).toBe(size);
  });

  it("reports a missing file as MODEL_NOT_FOUND", async () => {
    const path = join(dir, "absent.gguf");
    const error = await hashFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ code: "MODEL_NOT_FOUND", message: `no model file at ${path}` });
  });

  it("reports an unreadable path as MODEL_CORRUPT with the system error code", async () => {
    const error = await hashFile(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCorruptError);
    expect(error).toMatchObject({
      code: "MODEL_CORRUPT",
      message: `cannot read ${dir}: EISDIR`,
      details: { path: dir },
    });
  });

  it("stops with ABORTED when its signal is aborted", async () => {
    const path = join(dir, "aborted.bin");
    await writeFile(path, Buffer.alloc(9 * MiB));
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await hashFile(path, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.hashedBytes);
        controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: "ABORTED", message: `hashing ${path} was aborted` });
    // Aborted after the first chunk: the rest of the file was never hashed.
    expect(seen).toEqual([4 * MiB]);

    const early = await hashFile(path, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(AbortedError);
  });
});
