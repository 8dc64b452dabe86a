import { describe, expect, it } from "vitest";
import {
  type GgufHeader,
  GgufValueType,
  NeedMoreBytes,
  parseGgufHeader,
} from "../../src/models/gguf/parseGguf.ts";
import {
  buildGguf,
  encodeHeader,
  type FixtureTensor,
  type GgufSpec,
  outcomeOf,
} from "./fixtures/ggufFixture.ts";

type Kv = GgufSpec["kvs"][number];

const NO_LIMIT = 1 << 30;

/** Parses a whole file held in memory. */
const parse = (bytes: Uint8Array): GgufHeader =>
  parseGgufHeader({ bytes, fileSize: bytes.length, maxHeaderBytes: NO_LIMIT });

/** A value of any GGUF type id: the id, then `bytes` verbatim. */
function raw(key: string, valueType: number, bytes: Uint8Array): Kv {
  return { key, type: "raw", valueType, bytes };
}

function le(size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

/** An array value: element type, u64 length, then the elements' bytes. */
function rawArray(key: string, elementType: number, length: number | bigint, elements: Uint8Array): Kv {
  const head = le(12, (b) => {
    b.writeInt32LE(elementType, 0);
    b.writeBigUInt64LE(BigInt(length), 4);
  });
  return raw(key, GgufValueType.ARRAY, Buffer.concat([head, elements]));
}

const metadataOnly = (kvs: Kv[]): Buffer => buildGguf({ kvs, tensors: [] });

/** Header and tensor infos only, for tensor infos whose data could not be allocated. */
const headerOnly = (tensors: FixtureTensor[], kvs: Kv[] = []): Buffer =>
  encodeHeader({ kvs, tensors }).header;

const f32 = (name: string, dims: number[]): FixtureTensor => ({ name, dims, type: 0 });

describe("parseGgufHeader: metadata values", () => {
  it("keeps each scalar with its GGUF type, 64-bit integers as bigint", () => {
    const { metadata } = parse(
      metadataOnly([
        raw("u8", GgufValueType.UINT8, Uint8Array.of(250)),
        raw("i8", GgufValueType.INT8, Uint8Array.of(0xfe)),
        raw(
          "u16",
          GgufValueType.UINT16,
          le(2, (b) => b.writeUInt16LE(65_000)),
        ),
        raw(
          "i16",
          GgufValueType.INT16,
          le(2, (b) => b.writeInt16LE(-12_345)),
        ),
        { key: "u32", type: "u32", value: 4_000_000_000 },
        { key: "i32", type: "i32", value: -7 },
        { key: "f32", type: "f32", value: 0.25 },
        { key: "bool", type: "bool", value: true },
        { key: "string", type: "string", value: "lfm2" },
        { key: "u64", type: "u64", value: 2 ** 53 },
        raw(
          "i64",
          GgufValueType.INT64,
          le(8, (b) => b.writeBigInt64LE(-(2n ** 62n))),
        ),
        raw(
          "f64",
          GgufValueType.FLOAT64,
          le(8, (b) => b.writeDoubleLE(Math.PI)),
        ),
      ]),
    );
    expect(Object.fromEntries(metadata)).toEqual({
      u8: { type: GgufValueType.UINT8, value: 250 },
      i8: { type: GgufValueType.INT8, value: -2 },
      u16: { type: GgufValueType.UINT16, value: 65_000 },
      i16: { type: GgufValueType.INT16, value: -12_345 },
      u32: { type: GgufValueType.UINT32, value: 4_000_000_000 },
      i32: { type: GgufValueType.INT32, value: -7 },
      f32: { type: GgufValueType.FLOAT32, value: 0.25 },
      bool: { type: GgufValueType.BOOL, value: true },
      string: { type: GgufValueType.STRING, value: "lfm2" },
      u64: { type: GgufValueType.UINT64, value: 2n ** 53n },
      i64: { type: GgufValueType.INT64, value: -(2n ** 62n) },
      f64: { type: GgufValueType.FLOAT64, value: Math.PI },
    });
  });

  it("keeps the values of integer arrays of every width up to 4096 elements", () => {
    const { metadata } = parse(
      metadataOnly([
        rawArray("u8", GgufValueType.UINT8, 2, Uint8Array.of(1, 255)),
        rawArray("i8", GgufValueType.INT8, 2, Uint8Array.of(1, 255)),
        rawArray(
          "u16",
          GgufValueType.UINT16,
          1,
          le(2, (b) => b.writeUInt16LE(40_000)),
        ),
        rawArray(
          "i16",
          GgufValueType.INT16,
          1,
          le(2, (b) => b.writeInt16LE(-40)),
        ),
        rawArray(
          "u32",
          GgufValueType.UINT32,
          1,
          le(4, (b) => b.writeUInt32LE(3_000_000_000)),
        ),
        { key: "i32", type: "i32[]", value: [0, 8, 0, -8] },
        rawArray(
          "u64",
          GgufValueType.UINT64,
          1,
          le(8, (b) => b.writeBigUInt64LE(2n ** 40n)),
        ),
        rawArray(
          "i64",
          GgufValueType.INT64,
          1,
          le(8, (b) => b.writeBigInt64LE(-5n)),
        ),
      ]),
    );
    const values = Object.fromEntries(
      [...metadata].map(([k, v]) => [k, (v.value as { values?: number[] }).values]),
    );
    expect(values).toEqual({
      u8: [1, 255],
      i8: [1, -1],
      u16: [40_000],
      i16: [-40],
      u32: [3_000_000_000],
      i32: [0, 8, 0, -8],
      u64: [2 ** 40],
      i64: [-5],
    });
    expect(metadata.get("i32")).toEqual({
      type: GgufValueType.ARRAY,
      value: { kind: "array", elementType: GgufValueType.INT32, length: 4, values: [0, 8, 0, -8] },
    });
  });

  it("keeps only the length of string, float, bool and long integer arrays, and of long strings", () => {
    const longString = "x".repeat(64 * 1024 + 1);
    const { metadata } = parse(
      metadataOnly([
        { key: "tokens", type: "string[]", value: ["<s>", "</s>", "a"] },
        rawArray("floats", GgufValueType.FLOAT32, 2, Buffer.alloc(8)),
        rawArray("bools", GgufValueType.BOOL, 3, Uint8Array.of(1, 0, 1)),
        rawArray("long", GgufValueType.UINT8, 4097, Buffer.alloc(4097)),
        { key: "template", type: "string", value: longString },
        { key: "after", type: "u32", value: 7 },
      ]),
    );
    expect(metadata.get("tokens")?.value).toEqual({
      kind: "array",
      elementType: GgufValueType.STRING,
      length: 3,
    });
    expect(metadata.get("floats")?.value).toEqual({
      kind: "array",
      elementType: GgufValueType.FLOAT32,
      length: 2,
    });
    expect(metadata.get("bools")?.value).toEqual({
      kind: "array",
      elementType: GgufValueType.BOOL,
      length: 3,
    });
    expect(metadata.get("long")?.value).toEqual({
      kind: "array",
      elementType: GgufValueType.UINT8,
      length: 4097,
    });
    expect(metadata.get("template")).toEqual({
      type: GgufValueType.STRING,
      value: { kind: "long-string", length: longString.length },
    });
    expect(metadata.get("after")).toEqual({ type: GgufValueType.UINT32, value: 7 });
  });

  it("refuses unknown value types and arrays of arrays or of unknown types", () => {
    expect(outcomeOf(() => parse(metadataOnly([raw("general.odd", 13, Buffer.alloc(4))])))).toBe(
      "MODEL_CORRUPT: key 'general.odd' has invalid GGUF type 13",
    );
    expect(outcomeOf(() => parse(metadataOnly([raw("general.odd", 0xffff_ffff, Buffer.alloc(4))])))).toBe(
      "MODEL_CORRUPT: key 'general.odd' has invalid GGUF type -1",
    );
    expect(
      outcomeOf(() => parse(metadataOnly([rawArray("nested", GgufValueType.ARRAY, 0, Buffer.alloc(0))]))),
    ).toBe("MODEL_CORRUPT: key 'nested' has invalid array element type 9");
    expect(outcomeOf(() => parse(metadataOnly([rawArray("odd", 13, 0, Buffer.alloc(0))])))).toBe(
      "MODEL_CORRUPT: key 'odd' has invalid array element type 13",
    );
  });

  it("refuses an array longer than the rest of the file", () => {
    expect(
      outcomeOf(() =>
        parse(metadataOnly([rawArray("big", GgufValueType.UINT32, 1n << 40n, Buffer.alloc(0))])),
      ),
    ).toBe(`MODEL_CORRUPT: length of 'big' ${1n << 40n} does not fit in the file`);
  });

  it("refuses empty, over-long and duplicate keys", () => {
    expect(outcomeOf(() => parse(metadataOnly([{ key: "", type: "u32", value: 1 }])))).toBe(
      "MODEL_CORRUPT: key 0 is empty",
    );
    const longKey = "k".repeat(64 * 1024 + 1);
    expect(outcomeOf(() => parse(metadataOnly([{ key: longKey, type: "u32", value: 1 }])))).toBe(
      "MODEL_CORRUPT: key 0 is too long",
    );
    const twice: Kv[] = [
      { key: "general.name", type: "string", value: "a" },
      { key: "general.name", type: "string", value: "b" },
    ];
    expect(outcomeOf(() => parse(metadataOnly(twice)))).toBe("MODEL_CORRUPT: duplicate key 'general.name'");
  });
});

describe("parseGgufHeader: file header", () => {
  it("refuses a file shorter than the magic", () => {
    expect(outcomeOf(() => parse(Uint8Array.of(0x47, 0x47, 0x55)))).toBe(
      "MODEL_CORRUPT: file is shorter than the GGUF magic",
    );
  });

  it("refuses a big-endian file as unsupported", () => {
    const big = Buffer.from(metadataOnly([]));
    big.writeUInt32BE(3, 4);
    expect(outcomeOf(() => parse(big))).toBe(`MODEL_UNSUPPORTED: version ${3 * 2 ** 24} looks big-endian`);
  });

  it("asks for more bytes when the window ends inside the header, and parses the grown window", () => {
    const file = buildGguf({
      kvs: [{ key: "general.name", type: "string", value: "windowed" }],
      tensors: [f32("a", [8]), f32("b", [8])],
    });
    let window = 10;
    const asked: number[] = [];
    for (;;) {
      try {
        const header = parseGgufHeader({
          bytes: file.subarray(0, window),
          fileSize: file.length,
          maxHeaderBytes: NO_LIMIT,
        });
        expect(header).toEqual(parse(file));
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(NeedMoreBytes);
        const upTo = (err as NeedMoreBytes).upTo;
        expect(upTo).toBeGreaterThan(window);
        asked.push(upTo);
        window = upTo;
      }
    }
    // The window grew to the end of the tensor infos and no further.
    expect(window).toBe(parse(file).headerBytes);
    expect(asked.length).toBeGreaterThan(3);
  });

  it("refuses a header larger than its limit, counting from the start of the file", () => {
    const file = metadataOnly([{ key: "general.name", type: "string", value: "x".repeat(100) }]);
    expect(outcomeOf(() => parseGgufHeader({ bytes: file, fileSize: file.length, maxHeaderBytes: 64 }))).toBe(
      "MODEL_UNSUPPORTED: header is larger than the 64-byte limit",
    );
  });
});

describe("parseGgufHeader: alignment and layout", () => {
  it("places the data section at the alignment general.alignment declares", () => {
    const spec: GgufSpec = {
      kvs: [{ key: "general.alignment", type: "u32", value: 64 }],
      tensors: [f32("a", [3]), f32("b", [5])],
      alignment: 64,
    };
    const file = buildGguf(spec);
    const header = parse(file);
    expect(header.alignment).toBe(64);
    expect(header.dataOffset % 64).toBe(0);
    expect(header.tensors.map((t) => [t.name, t.offset, t.nbytes])).toEqual([
      ["a", 0, 12],
      ["b", 64, 20],
    ]);
    // Padding follows every tensor, the last one included.
    expect(header.dataSize).toBe(128);
    expect(header.dataOffset + header.dataSize).toBe(file.length);
  });

  it("puts the data section of a file without tensors right after its metadata", () => {
    const kvs: Kv[] = [{ key: "general.architecture", type: "string", value: "lfm2" }];
    // 24 bytes of counts, 8 + 20 of key, 4 of type and 8 + 4 of value: not a multiple of 32.
    const unpadded = metadataOnly(kvs).subarray(0, 68);
    const header = parse(unpadded);
    expect(header).toMatchObject({ headerBytes: 68, dataOffset: 68, dataSize: 0, tensors: [] });
  });

  it("refuses an alignment that is not a uint32 power of two", () => {
    const withAlignment = (kv: Kv): Buffer => buildGguf({ kvs: [kv], tensors: [f32("a", [4])] });
    expect(outcomeOf(() => parse(withAlignment({ key: "general.alignment", type: "u64", value: 32 })))).toBe(
      "MODEL_CORRUPT: general.alignment is not a uint32",
    );
    expect(outcomeOf(() => parse(withAlignment({ key: "general.alignment", type: "u32", value: 48 })))).toBe(
      "MODEL_CORRUPT: alignment 48 is not a power of 2",
    );
    expect(outcomeOf(() => parse(withAlignment({ key: "general.alignment", type: "u32", value: 0 })))).toBe(
      "MODEL_CORRUPT: alignment 0 is not a power of 2",
    );
  });

  it("refuses a file that ends before its aligned data section starts", () => {
    // One empty tensor: its data fits anywhere, but the data section starts at the next
    // multiple of 32 after the tensor infos, past the end of a file cut right after them.
    const file = buildGguf({ kvs: [], tensors: [f32("empty", [0])] });
    const { headerBytes } = parse(file);
    expect(headerBytes % 32).not.toBe(0);
    expect(outcomeOf(() => parse(file.subarray(0, headerBytes)))).toBe(
      "MODEL_CORRUPT: data section starts past the end of the file",
    );
  });
});

describe("parseGgufHeader: tensor infos", () => {
  it("refuses tensor names of 64 bytes or more, and duplicates", () => {
    expect(parse(buildGguf({ kvs: [], tensors: [f32("n".repeat(63), [4])] })).tensors[0]?.name).toHaveLength(
      63,
    );
    expect(outcomeOf(() => parse(buildGguf({ kvs: [], tensors: [f32("n".repeat(64), [4])] })))).toBe(
      "MODEL_CORRUPT: tensor name 0 is too long",
    );
    expect(outcomeOf(() => parse(buildGguf({ kvs: [], tensors: [f32("w", [4]), f32("w", [4])] })))).toBe(
      "MODEL_CORRUPT: duplicate tensor name 'w'",
    );
  });

  it("refuses more than four dimensions, negative dimensions and element counts past int64", () => {
    expect(outcomeOf(() => parse(headerOnly([f32("w", [1, 1, 1, 1, 1])])))).toBe(
      "MODEL_CORRUPT: tensor 'w' has 5 dimensions",
    );
    // 2^63 written as u64 reads back as a negative int64.
    expect(outcomeOf(() => parse(headerOnly([f32("w", [2 ** 63])])))).toBe(
      "MODEL_CORRUPT: tensor 'w' has a negative dimension",
    );
    expect(outcomeOf(() => parse(headerOnly([f32("w", [2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31])])))).toBe(
      "MODEL_CORRUPT: tensor 'w' has too many elements",
    );
  });

  it("refuses ggml types that were removed, and rows that are not whole blocks", () => {
    expect(
      outcomeOf(() => parse(buildGguf({ kvs: [], tensors: [{ name: "w", dims: [32], type: 4 as 0 }] }))),
    ).toBe("MODEL_UNSUPPORTED: tensor 'w' has removed ggml type 4");
    expect(
      outcomeOf(() => parse(buildGguf({ kvs: [], tensors: [{ name: "w", dims: [16, 4], type: 8 }] }))),
    ).toBe("MODEL_CORRUPT: tensor 'w' row of 16 is not a multiple of the Q8_0 block");
  });

  it("reports each tensor's dimensions, type and data size", () => {
    const header = parse(
      buildGguf({
        kvs: [],
        tensors: [
          { name: "q", dims: [64, 2], type: 8 },
          { name: "h", dims: [3, 2, 1], type: 1 },
        ],
      }),
    );
    expect(header.tensors).toEqual([
      { name: "q", dims: [64, 2], type: 8, typeName: "Q8_0", offset: 0, nbytes: 4 * 34 },
      { name: "h", dims: [3, 2, 1], type: 1, typeName: "F16", offset: 160, nbytes: 12 },
    ]);
  });

  it("refuses tensor data that ends past the end of the file", () => {
    const file = buildGguf({ kvs: [], tensors: [f32("w", [1024])] });
    const { dataOffset } = parse(file);
    // Cut inside the header padding: the tensor's 4096 bytes cannot fit in what is left.
    expect(outcomeOf(() => parse(file.subarray(0, dataOffset - 1)))).toBe(
      "MODEL_CORRUPT: tensor 'w' data ends past the end of the file",
    );
    // Cut inside the data section: the offsets fit in the file, the data after the header does not.
    expect(outcomeOf(() => parse(file.subarray(0, file.length - 1)))).toBe(
      "MODEL_CORRUPT: tensor 'w' data is not within the file",
    );
  });
});
