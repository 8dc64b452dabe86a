import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateGgufBuffer, validateGgufFile } from "../../src/models/index.ts";
import {
  buildGguf,
  dataOffsetOf,
  type GgufSpec,
  LFM2_350M,
  LFM2_TINY,
  lfm2Spec,
  llamaSpec,
  outcomeOf,
  writeSparseGguf,
} from "./fixtures/ggufFixture.ts";
import { itWithStories } from "./fixtures/sharedModels.ts";

function withSpec(edit: (spec: GgufSpec) => void): Buffer {
  const spec = lfm2Spec(LFM2_TINY);
  edit(spec);
  return buildGguf(spec);
}

describe("validateGgufBuffer", () => {
  const good = buildGguf(lfm2Spec(LFM2_TINY));

  it("accepts a well-formed lfm2 file and reports its layout", () => {
    const summary = validateGgufBuffer(good);
    expect(summary.architecture).toBe("lfm2");
    expect(summary.version).toBe(3);
    expect(summary.tensorCount).toBe(lfm2Spec(LFM2_TINY).tensors.length);
    expect(summary.dataOffset % 32).toBe(0);
    expect(summary.dataOffset + summary.dataSize).toBe(good.length);
  });

  it("accepts a well-formed llama file", () => {
    expect(validateGgufBuffer(buildGguf(llamaSpec())).architecture).toBe("llama");
  });

  it("refuses a wrong magic, a zero version and v1 with typed errors", () => {
    const badMagic = Buffer.from(good);
    badMagic.write("GGML", 0);
    expect(outcomeOf(() => validateGgufBuffer(badMagic))).toMatch(/^MODEL_CORRUPT: bad magic/);
    const v0 = Buffer.from(good);
    v0.writeUInt32LE(0, 4);
    expect(outcomeOf(() => validateGgufBuffer(v0))).toMatch(/^MODEL_CORRUPT: version is 0/);
    const v1 = Buffer.from(good);
    v1.writeUInt32LE(1, 4);
    expect(outcomeOf(() => validateGgufBuffer(v1))).toMatch(/^MODEL_UNSUPPORTED: GGUF v1/);
    const v4 = Buffer.from(good);
    v4.writeUInt32LE(4, 4);
    expect(outcomeOf(() => validateGgufBuffer(v4))).toMatch(/^MODEL_UNSUPPORTED: version 4/);
  });

  it("refuses counts and lengths that cannot fit in the file without allocating them", () => {
    const hugeTensors = Buffer.from(good);
    hugeTensors.writeBigUInt64LE(0xffff_ffff_ffffn, 8);
    expect(outcomeOf(() => validateGgufBuffer(hugeTensors))).toMatch(/^MODEL_CORRUPT: tensor count/);
    const negativeKv = Buffer.from(good);
    negativeKv.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 16);
    expect(outcomeOf(() => validateGgufBuffer(negativeKv))).toMatch(/^MODEL_CORRUPT: metadata count/);
    const hugeKeyLength = Buffer.from(good);
    hugeKeyLength.writeBigUInt64LE(1n << 62n, 24); // length of the first key
    expect(outcomeOf(() => validateGgufBuffer(hugeKeyLength))).toMatch(/^MODEL_CORRUPT: key 0 length/);
  });

  it("refuses a file cut anywhere before the end of its tensor data", () => {
    for (const at of [3, 20, 100, dataOffsetOf(lfm2Spec(LFM2_TINY)) - 1, good.length - 1]) {
      expect(outcomeOf(() => validateGgufBuffer(good.subarray(0, at)))).toMatch(/^MODEL_CORRUPT/);
    }
  });

  it("refuses tensor offsets that are not contiguous and aligned", () => {
    const spec = lfm2Spec(LFM2_TINY);
    const buf = buildGguf(spec);
    // The last tensor info: name, u32 n_dims, u64 dims, u32 type, then its u64 offset.
    const last = spec.tensors.at(-1)!;
    const nameAt = buf.subarray(0, dataOffsetOf(spec)).lastIndexOf(Buffer.from(last.name));
    const at = nameAt + last.name.length + 4 + 8 * last.dims.length + 4;
    buf.writeBigUInt64LE(buf.readBigUInt64LE(at) + 4n, at);
    expect(outcomeOf(() => validateGgufBuffer(buf))).toMatch(/^MODEL_CORRUPT: tensor '.*' has offset/);
  });

  it("refuses unknown ggml types as unsupported and bad shapes as corrupt", () => {
    const unknownType = withSpec((s) => {
      s.tensors[1]!.type = 77 as 0;
    });
    expect(outcomeOf(() => validateGgufBuffer(unknownType))).toMatch(
      /^MODEL_UNSUPPORTED: tensor .* unknown ggml type 77/,
    );
    const oddRow = withSpec((s) => {
      s.tensors[0] = { name: "token_embd.weight", dims: [LFM2_TINY.embd + 1, LFM2_TINY.vocab], type: 0 };
    });
    expect(outcomeOf(() => validateGgufBuffer(oddRow))).toMatch(
      /^MODEL_CORRUPT: tensor 'token_embd.weight' has shape/,
    );
  });

  it("refuses architectures llama.cpp lacks and files missing a tensor the architecture needs", () => {
    const alien = withSpec((s) => {
      s.kvs[0] = { key: "general.architecture", type: "string", value: "gpt5" };
    });
    expect(outcomeOf(() => validateGgufBuffer(alien))).toMatch(/^MODEL_UNSUPPORTED: architecture 'gpt5'/);
    const noNorm = withSpec((s) => {
      s.tensors = s.tensors.filter((t) => t.name !== "blk.2.ffn_norm.weight");
    });
    expect(outcomeOf(() => validateGgufBuffer(noNorm))).toBe(
      "MODEL_CORRUPT: missing tensor 'blk.2.ffn_norm.weight'",
    );
    const noConv = withSpec((s) => {
      s.tensors = s.tensors.filter((t) => t.name !== "blk.0.shortconv.conv.weight");
    });
    expect(outcomeOf(() => validateGgufBuffer(noConv))).toMatch(
      /missing tensor 'blk.0.shortconv.conv.weight'/,
    );
  });

  it("refuses hyper-parameters that would divide by zero in the loader", () => {
    const zeroHeads = withSpec((s) => {
      const i = s.kvs.findIndex((k) => k.key === "lfm2.attention.head_count");
      s.kvs[i] = { key: "lfm2.attention.head_count", type: "u32", value: 0 };
    });
    expect(outcomeOf(() => validateGgufBuffer(zeroHeads))).toMatch(/^MODEL_CORRUPT: layer 0: head count 0/);
  });

  it("keeps projectors and models apart when the caller says which it expects", () => {
    const clip = withSpec((s) => {
      s.kvs[0] = { key: "general.architecture", type: "string", value: "clip" };
    });
    expect(validateGgufBuffer(clip, { expect: "projector" }).architecture).toBe("clip");
    expect(outcomeOf(() => validateGgufBuffer(clip, { expect: "model" }))).toMatch(
      /^MODEL_UNSUPPORTED: a projector/,
    );
    expect(outcomeOf(() => validateGgufBuffer(good, { expect: "projector" }))).toMatch(
      /^MODEL_UNSUPPORTED: expected/,
    );
  });

  it("refuses a header larger than the configured limit as unsupported", () => {
    expect(outcomeOf(() => validateGgufBuffer(good, { maxHeaderBytes: 512 }))).toMatch(
      /^MODEL_UNSUPPORTED: header/,
    );
  });
});

describe("validateGgufFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-gguf-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("validates the 350M shape from its header alone, growing the read window as needed", async () => {
    const path = join(dir, "lfm2-350m.gguf");
    const size = await writeSparseGguf(path, lfm2Spec(LFM2_350M));
    const summary = await validateGgufFile(path, { initialReadBytes: 4096 });
    expect(summary.fileSize).toBe(size);
    expect(summary.fileSize).toBeGreaterThan(350_000_000);
    // The header alone was read: a few hundred kB of a 350 MB file.
    expect(summary.headerBytes).toBeLessThan(2_000_000);
  });

  it("reports a missing file as MODEL_NOT_FOUND and a directory as MODEL_CORRUPT", async () => {
    await expect(validateGgufFile(join(dir, "absent.gguf"))).rejects.toMatchObject({
      code: "MODEL_NOT_FOUND",
    });
    await expect(validateGgufFile(dir)).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
  });

  it("names the file in the error details", async () => {
    const path = join(dir, "cut.gguf");
    await writeFile(path, buildGguf(lfm2Spec(LFM2_TINY)).subarray(0, 1000));
    await expect(validateGgufFile(path)).rejects.toMatchObject({ code: "MODEL_CORRUPT", details: { path } });
  });

  itWithStories("accepts the real stories260K file", async (path) => {
    const summary = await validateGgufFile(path, { expect: "model" });
    expect(summary).toMatchObject({ architecture: "llama", tensorCount: 48, fileSize: 1_185_376 });
  });
});
