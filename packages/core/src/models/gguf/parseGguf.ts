import { ModelCorruptError, ModelUnsupportedError } from "../../errors/index.ts";
import { GGML_TYPE_COUNT, ggmlType } from "./ggmlTypes.ts";

// Mirrors the checks of gguf_init_from_reader in the bundled llama.cpp
// (ggml/src/gguf.cpp) plus the loader's "tensor data inside the file" check,
// so that a file this parser accepts is one llama.cpp's reader accepts too.

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGUF_VERSION = 3;
const GGUF_DEFAULT_ALIGNMENT = 32;
const GGML_MAX_DIMS = 4;
const GGML_MAX_NAME = 64;
const INT64_MAX = (1n << 63n) - 1n;
/** Arrays whose integer values are kept (small per-layer arrays such as head_count_kv). */
const MAX_KEPT_ARRAY = 4096;
/** Longer metadata strings (chat templates, licences) are kept by length only. */
const MAX_KEPT_STRING = 64 * 1024;

export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

const fixedSize: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const integerTypes = new Set<number>([0, 1, 2, 3, 4, 5, 10, 11]);

export type GgufScalar = number | bigint | boolean | string;
export interface GgufArrayValue {
  kind: "array";
  elementType: GgufValueType;
  length: number;
  /** The values, for integer arrays of at most 4096 elements. */
  values?: number[];
}
export interface GgufLongString {
  kind: "long-string";
  length: number;
}
export type GgufValue = { type: GgufValueType; value: GgufScalar | GgufArrayValue | GgufLongString };

export interface GgufTensor {
  name: string;
  /** ne[0..n_dims), innermost first as in ggml. */
  dims: number[];
  type: number;
  typeName: string;
  /** Offset from the start of the data section. */
  offset: number;
  /** Bytes of data, unpadded. */
  nbytes: number;
}

export interface GgufHeader {
  version: number;
  fileSize: number;
  alignment: number;
  /** Absolute offset of the data section. */
  dataOffset: number;
  /** Bytes of the data section including padding between tensors. */
  dataSize: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  /** Bytes of the file that the header, metadata and tensor infos occupy. */
  headerBytes: number;
}

/** Thrown internally when the window read so far ends before the header does. */
export class NeedMoreBytes {
  constructor(readonly upTo: number) {}
}

export interface ParseWindow {
  /** The first bytes of the file (a prefix, or the whole file). */
  bytes: Uint8Array;
  /** Size of the whole file. */
  fileSize: number;
  /** Most bytes the header may occupy before it is refused. */
  maxHeaderBytes: number;
}

export function corrupt(reason: string, details: Record<string, unknown> = {}): ModelCorruptError {
  return new ModelCorruptError(`GGUF is malformed: ${reason}`, { details: { reason, ...details } });
}

export function unsupported(reason: string, details: Record<string, unknown> = {}): ModelUnsupportedError {
  return new ModelUnsupportedError(`GGUF is not supported: ${reason}`, { details: { reason, ...details } });
}

const decoder = new TextDecoder("utf-8", { fatal: false });

class Cursor {
  pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileSize: number,
    private readonly limit: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.fileSize - this.pos;
  }

  /** Ensures n more bytes are readable; n is already known to be a safe integer. */
  need(n: number, what: string): void {
    const end = this.pos + n;
    if (end > this.fileSize) {
      throw corrupt(`${what} runs past the end of the file`, { offset: this.pos, needed: n });
    }
    if (end > this.limit) {
      throw unsupported(`header is larger than the ${this.limit}-byte limit`, { offset: this.pos });
    }
    if (end > this.bytes.length) throw new NeedMoreBytes(end);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 length or count that must fit in what is left of the file. */
  length(what: string, unitBytes: number): number {
    const n = this.u64(what);
    if (n * BigInt(unitBytes) > BigInt(this.remaining)) {
      throw corrupt(`${what} ${n} does not fit in the file`, { offset: this.pos - 8 });
    }
    return Number(n);
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  string(what: string, keep = true): string | GgufLongString {
    const len = this.length(`${what} length`, 1);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    if (!keep || len > MAX_KEPT_STRING) return { kind: "long-string", length: len };
    return decoder.decode(this.bytes.subarray(start, start + len));
  }

  scalar(type: number, what: string): GgufScalar {
    const v = this.view;
    this.need(fixedSize[type] ?? 0, what);
    const p = this.pos;
    this.pos += fixedSize[type] ?? 0;
    switch (type) {
      case 0:
        return v.getUint8(p);
      case 1:
        return v.getInt8(p);
      case 2:
        return v.getUint16(p, true);
      case 3:
        return v.getInt16(p, true);
      case 4:
        return v.getUint32(p, true);
      case 5:
        return v.getInt32(p, true);
      case 6:
        return v.getFloat32(p, true);
      case 7:
        return v.getInt8(p) !== 0;
      case 10:
        return v.getBigUint64(p, true);
      case 11:
        return v.getBigInt64(p, true);
      case 12:
        return v.getFloat64(p, true);
      default:
        throw corrupt(`${what} has invalid type ${type}`);
    }
  }
}

function readValue(c: Cursor, key: string): GgufValue {
  const type = c.i32(`type of '${key}'`);
  if (type === GgufValueType.ARRAY) {
    const elementType = c.i32(`element type of '${key}'`);
    if (elementType === GgufValueType.ARRAY || !(elementType in fixedSize || elementType === 8)) {
      throw corrupt(`key '${key}' has invalid array element type ${elementType}`, { key });
    }
    const unit = elementType === GgufValueType.STRING ? 8 : fixedSize[elementType]!;
    const length = c.length(`length of '${key}'`, unit);
    const array: GgufArrayValue = { kind: "array", elementType: elementType as GgufValueType, length };
    if (elementType === GgufValueType.STRING) {
      for (let i = 0; i < length; i++) c.string(`element ${i} of '${key}'`, false);
    } else if (integerTypes.has(elementType) && length <= MAX_KEPT_ARRAY) {
      const values: number[] = [];
      for (let i = 0; i < length; i++) values.push(Number(c.scalar(elementType, `element ${i} of '${key}'`)));
      array.values = values;
    } else {
      c.skip(length * unit, `'${key}'`);
    }
    return { type: GgufValueType.ARRAY, value: array };
  }
  if (type === GgufValueType.STRING) return { type, value: c.string(`'${key}'`) };
  if (!(type in fixedSize)) throw corrupt(`key '${key}' has invalid GGUF type ${type}`, { key });
  return { type: type as GgufValueType, value: c.scalar(type, `'${key}'`) };
}

function alignUp(n: bigint, alignment: bigint): bigint {
  return ((n + alignment - 1n) / alignment) * alignment;
}

/**
 * Parses and bounds-checks the header, metadata and tensor infos of a GGUF
 * file from its first bytes. Throws MODEL_CORRUPT or MODEL_UNSUPPORTED, or
 * NeedMoreBytes when `bytes` ends before the header does.
 */
export function parseGgufHeader({ bytes, fileSize, maxHeaderBytes }: ParseWindow): GgufHeader {
  const c = new Cursor(bytes, fileSize, maxHeaderBytes);

  if (fileSize < 4 || c.u32("magic") !== GGUF_MAGIC) {
    if (fileSize < 4) throw corrupt("file is shorter than the GGUF magic");
    throw corrupt("bad magic (not a GGUF file)");
  }
  const version = c.u32("version");
  if (version === 0) throw corrupt("version is 0");
  if ((version & 0xffff) === 0) throw unsupported(`version ${version} looks big-endian`, { version });
  if (version === 1) throw unsupported("GGUF v1 is no longer supported", { version });
  if (version > GGUF_VERSION)
    throw unsupported(`version ${version} is newer than ${GGUF_VERSION}`, { version });

  const nTensors = c.i64("tensor count");
  const nKv = c.i64("metadata count");
  // Each tensor info takes at least 24 bytes, each key/value at least 14.
  if (nTensors < 0n || nTensors * 24n > BigInt(c.remaining)) {
    throw corrupt(`tensor count ${nTensors} does not fit in the file`);
  }
  if (nKv < 0n || nKv * 14n > BigInt(c.remaining)) {
    throw corrupt(`metadata count ${nKv} does not fit in the file`);
  }

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < Number(nKv); i++) {
    const key = c.string(`key ${i}`);
    if (typeof key !== "string") throw corrupt(`key ${i} is too long`);
    if (key.length === 0) throw corrupt(`key ${i} is empty`);
    if (metadata.has(key)) throw corrupt(`duplicate key '${key}'`, { key });
    metadata.set(key, readValue(c, key));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignKv = metadata.get("general.alignment");
  if (alignKv !== undefined) {
    if (alignKv.type !== GgufValueType.UINT32) throw corrupt("general.alignment is not a uint32");
    alignment = alignKv.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      throw corrupt(`alignment ${alignment} is not a power of 2`);
    }
  }

  const tensors: GgufTensor[] = [];
  const names = new Set<string>();
  let expectedOffset = 0n;
  const align = BigInt(alignment);
  for (let i = 0; i < Number(nTensors); i++) {
    const name = c.string(`tensor name ${i}`);
    if (typeof name !== "string" || name.length >= GGML_MAX_NAME) {
      throw corrupt(`tensor name ${i} is too long`);
    }
    if (names.has(name)) throw corrupt(`duplicate tensor name '${name}'`, { tensor: name });
    names.add(name);

    const nDims = c.u32(`dimension count of '${name}'`);
    if (nDims > GGML_MAX_DIMS) throw corrupt(`tensor '${name}' has ${nDims} dimensions`, { tensor: name });
    const ne: bigint[] = [1n, 1n, 1n, 1n];
    for (let d = 0; d < nDims; d++) {
      ne[d] = c.i64(`dimension ${d} of '${name}'`);
      if (ne[d]! < 0n) throw corrupt(`tensor '${name}' has a negative dimension`, { tensor: name });
    }
    const elements = ne[0]! * ne[1]! * ne[2]! * ne[3]!;
    if (elements > INT64_MAX) throw corrupt(`tensor '${name}' has too many elements`, { tensor: name });

    const typeId = c.i32(`type of '${name}'`);
    const info = ggmlType(typeId);
    if (info === undefined || info.removed) {
      const why = typeId < 0 || typeId >= GGML_TYPE_COUNT ? "unknown" : "removed";
      throw unsupported(`tensor '${name}' has ${why} ggml type ${typeId}`, { tensor: name, type: typeId });
    }
    if (ne[0]! % BigInt(info.blockSize) !== 0n) {
      throw corrupt(`tensor '${name}' row of ${ne[0]} is not a multiple of the ${info.name} block`, {
        tensor: name,
      });
    }
    const nbytes = (elements / BigInt(info.blockSize)) * BigInt(info.typeSize);

    const offset = c.u64(`offset of '${name}'`);
    if (offset !== expectedOffset) {
      throw corrupt(`tensor '${name}' has offset ${offset}, expected ${expectedOffset}`, { tensor: name });
    }
    if (offset + nbytes > BigInt(fileSize)) {
      throw corrupt(`tensor '${name}' data ends past the end of the file`, { tensor: name });
    }
    expectedOffset += alignUp(nbytes, align);
    tensors.push({
      name,
      dims: ne.slice(0, nDims).map(Number),
      type: typeId,
      typeName: info.name,
      offset: Number(offset),
      nbytes: Number(nbytes),
    });
  }

  const headerBytes = c.pos;
  const dataOffset = tensors.length > 0 ? alignUp(BigInt(headerBytes), align) : BigInt(headerBytes);
  if (dataOffset > BigInt(fileSize)) throw corrupt("data section starts past the end of the file");
  for (const t of tensors) {
    if (dataOffset + BigInt(t.offset) + BigInt(t.nbytes) > BigInt(fileSize)) {
      throw corrupt(`tensor '${t.name}' data is not within the file`, { tensor: t.name });
    }
  }

  return {
    version,
    fileSize,
    alignment,
    dataOffset: Number(dataOffset),
    dataSize: Number(expectedOffset),
    metadata,
    tensors,
    headerBytes,
  };
}
