import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSynthVisionModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelCorruptError, ModelNotFoundError } from "../../src/errors/index.ts";
import { readGgufMetadata } from "../../src/runtime/llama-vision/readGgufMetadata.ts";
import { buildGguf, encodeHeader, type GgufSpec } from "../models/fixtures/ggufFixture.ts";

type Kv = GgufSpec["kvs"][number];

/** A value of another GGUF type than the fixture's named ones: its type id, then `bytes`. */
function raw(key: string, valueType: number, size: number, write: (b: Buffer) => void): Kv {
  const bytes = Buffer.alloc(size);
  write(bytes);
  return { key, type: "raw", valueType, bytes };
}

/** An array value: element type, u64 length, then the elements' bytes. */
function rawArray(key: string, elementType: number, length: number, elements: Buffer): Kv {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(elementType, 0);
  head.writeBigUInt64LE(BigInt(length), 4);
  return { key, type: "raw", valueType: 9, bytes: Buffer.concat([head, elements]) };
}

let dir: string;
let seq = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-gguf-meta-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(bytes: Uint8Array): Promise<string> {
  const path = join(dir, `m${seq++}.gguf`);
  await writeFile(path, bytes);
  return path;
}

const metadataFile = (kvs: Kv[]): Promise<string> => fileOf(buildGguf({ kvs, tensors: [] }));

/** The MODEL_CORRUPT error readGgufMetadata rejects with. */
async function corruption(path: string): Promise<ModelCorruptError> {
  const error = await readGgufMetadata(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelCorruptError);
  return error as ModelCorruptError;
}

describe("readGgufMetadata", () => {
  it("reads a scalar of every GGUF value type by its type id", async () => {
    const path = await metadataFile([
      raw("t.u8", 0, 1, (b) => b.writeUInt8(200)),
      raw("t.i8", 1, 1, (b) => b.writeInt8(-5)),
      raw("t.u16", 2, 2, (b) => b.writeUInt16LE(60_000)),
      raw("t.i16", 3, 2, (b) => b.writeInt16LE(-300)),
      { key: "t.u32", type: "u32", value: 4_000_000_000 },
      { key: "t.i32", type: "i32", value: -70_000 },
      { key: "t.f32", type: "f32", value: 0.5 },
      { key: "t.true", type: "bool", value: true },
      { key: "t.false", type: "bool", value: false },
      { key: "t.string", type: "string", value: "Sluice ✓" },
      { key: "t.u64", type: "u64", value: 2 ** 40 },
      raw("t.i64", 11, 8, (b) => b.writeBigInt64LE(-(2n ** 40n))),
      raw("t.f64", 12, 8, (b) => b.writeDoubleLE(1e-7)),
    ]);
    expect(await readGgufMetadata(path)).toEqual(
      new Map<string, number | boolean | string>([
        ["t.u8", 200],
        ["t.i8", -5],
        ["t.u16", 60_000],
        ["t.i16", -300],
        ["t.u32", 4_000_000_000],
        ["t.i32", -70_000],
        ["t.f32", 0.5],
        ["t.true", true],
        ["t.false", false],
        ["t.string", "Sluice ✓"],
        ["t.u64", 2 ** 40],
        ["t.i64", -(2 ** 40)],
        ["t.f64", 1e-7],
      ]),
    );
  });

  it("skips arrays of strings and of fixed-size elements and reads the keys after them", async () => {
    const path = await metadataFile([
      { key: "tokenizer.ggml.tokens", type: "string[]", value: ["<s>", "a", "bc"] },
      { key: "a.i32", type: "i32[]", value: [1, -2, 3] },
      rawArray("a.u8", 0, 3, Buffer.from([1, 2, 3])),
      rawArray("a.f64", 12, 2, Buffer.alloc(16)),
      rawArray("a.empty", 6, 0, Buffer.alloc(0)),
      { key: "general.architecture", type: "string", value: "lfm2" },
    ]);
    expect(await readGgufMetadata(path)).toEqual(new Map([["general.architecture", "lfm2"]]));
  });

  it("reads metadata that extends past the first mebibyte of the file", async () => {
    // A real-sized vocabulary: 100 000 tokens take about 2 MiB before the next key.
    const tokens = Array.from({ length: 100_000 }, (_, i) => `token-${String(i).padStart(6, "0")}`);
    const path = await metadataFile([
      { key: "general.architecture", type: "string", value: "lfm2" },
      { key: "tokenizer.ggml.tokens", type: "string[]", value: tokens },
      { key: "lfm2.embedding_length", type: "u32", value: 1024 },
    ]);
    expect(await readGgufMetadata(path)).toEqual(
      new Map<string, string | number>([
        ["general.architecture", "lfm2"],
        ["lfm2.embedding_length", 1024],
      ]),
    );
  });

  it("reads the scalars of a synthesised text model and its projector", async () => {
    const pair = await writeSynthVisionModel({
      preset: "lfm2-vl-tiny",
      out: join(dir, "pair.gguf"),
      type: "f32",
    });
    const model = await readGgufMetadata(pair.model.path);
    expect(model.get("general.architecture")).toBe("lfm2");
    expect(model.get("lfm2.embedding_length")).toBe(64);
    expect(model.get("lfm2.context_length")).toBe(4096);
    expect(model.has("tokenizer.ggml.tokens")).toBe(false);
    const mmproj = await readGgufMetadata(pair.mmproj.path);
    expect(mmproj.get("general.architecture")).toBe("clip");
    expect(mmproj.get("clip.has_vision_encoder")).toBe(true);
    expect(mmproj.get("clip.vision.projection_dim")).toBe(64);
    expect(mmproj.has("clip.vision.image_mean")).toBe(false);
  });

  it("accepts GGUF version 2 and refuses versions 1 and 4", async () => {
    const bytes = buildGguf({
      kvs: [{ key: "general.architecture", type: "string", value: "llama" }],
      tensors: [],
    });
    for (const version of [2, 1, 4]) {
      const copy = Buffer.from(bytes);
      copy.writeUInt32LE(version, 4);
      const path = await fileOf(copy);
      if (version === 2) {
        expect(await readGgufMetadata(path)).toEqual(new Map([["general.architecture", "llama"]]));
      } else {
        const error = await corruption(path);
        expect(error.details).toEqual({ path, reason: `unsupported GGUF version ${version}` });
      }
    }
  });

  it("refuses a file that is not GGUF, naming the file", async () => {
    const path = await fileOf(new TextEncoder().encode("PK\x03\x04 a zip archive, not a model"));
    const error = await corruption(path);
    expect(error.code).toBe("MODEL_CORRUPT");
    expect(error.message).toBe(`${path}: not a GGUF file`);
    expect(error.details).toEqual({ path, reason: "not a GGUF file" });
  });

  it("refuses metadata cut short by the end of the file", async () => {
    const whole = buildGguf({
      kvs: [{ key: "general.name", type: "string", value: "a model whose header was cut" }],
      tensors: [],
    });
    for (const at of [2, 20, 40]) {
      const error = await corruption(await fileOf(whole.subarray(0, at)));
      expect(error.details.reason, `cut at ${at}`).toBe("metadata runs past the end of the file");
    }
  });

  it("refuses unknown value types and arrays of unknown element types, naming the key", async () => {
    const scalar = await corruption(await metadataFile([raw("general.odd", 13, 4, () => {})]));
    expect(scalar.details.reason).toBe("unknown value type 13 at general.odd");
    const nested = await corruption(await metadataFile([rawArray("general.nested", 9, 1, Buffer.alloc(12))]));
    expect(nested.details.reason).toBe("array of unknown type 9 at general.nested");
  });

  it("refuses counts and lengths beyond the metadata bound without allocating them", async () => {
    const hugeString = Buffer.alloc(8);
    hugeString.writeBigUInt64LE(1n << 40n);
    const error = await corruption(
      await metadataFile([raw("general.name", 8, 8, (b) => hugeString.copy(b))]),
    );
    expect(error.details.reason).toBe("a count or length is out of bounds");

    const hugeCount = Buffer.from(buildGguf({ kvs: [], tensors: [] }));
    hugeCount.writeBigUInt64LE(1n << 62n, 16); // the key/value count
    expect((await corruption(await fileOf(hugeCount))).details.reason).toBe(
      "a count or length is out of bounds",
    );
  });

  it("refuses metadata larger than its 64 MiB bound in a file that is larger still", async () => {
    // A string of exactly 64 MiB is a legal length, but with the bytes before it the metadata
    // ends past the bound; the file (sparse) is long enough to hold it.
    const length = 64 * 1024 * 1024;
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(BigInt(length));
    const { header } = encodeHeader({
      kvs: [raw("general.license", 8, 8, (b) => value.copy(b))],
      tensors: [],
    });
    const path = join(dir, "large-metadata.gguf");
    const handle = await open(path, "w");
    try {
      await handle.write(header, 0, header.length, 0);
      await handle.truncate(length + 1024 * 1024);
    } finally {
      await handle.close();
    }
    expect((await corruption(path)).details).toEqual({ path, reason: "metadata too large" });
  });

  it("reports a missing file as MODEL_NOT_FOUND", async () => {
    const path = join(dir, "absent.gguf");
    const error = await readGgufMetadata(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ code: "MODEL_NOT_FOUND", details: { path } });
  });
});
