/**
 * GGUF v3 serialisation: header, metadata and tensor infos in memory (they are
 * small), tensor data streamed by the caller in the order the infos list.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

export enum ValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml tensor types that Sluice writes. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

export type MetaValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "i32[]"; value: readonly number[] }
  | { type: "f32[]"; value: readonly number[] }
  | { type: "string[]"; value: readonly string[] };

export interface TensorInfo {
  name: string;
  /** Dimensions, ne0 (fastest-varying) first. */
  dims: readonly number[];
  type: GgmlType;
}

/** Bytes per block and elements per block of each type. */
export function typeLayout(type: GgmlType): { blockBytes: number; blockElems: number } {
  switch (type) {
    case GgmlType.F32:
      return { blockBytes: 4, blockElems: 1 };
    case GgmlType.F16:
      return { blockBytes: 2, blockElems: 1 };
    case GgmlType.Q8_0:
      return { blockBytes: 34, blockElems: 32 };
    case GgmlType.Q4_0:
      return { blockBytes: 18, blockElems: 32 };
  }
}

export function tensorByteSize(info: TensorInfo): number {
  const elems = info.dims.reduce((a, b) => a * b, 1);
  const { blockBytes, blockElems } = typeLayout(info.type);
  if (elems % blockElems !== 0 || (info.dims[0] ?? 0) % blockElems !== 0) {
    throw new RangeError(`tensor ${info.name}: ne0=${info.dims[0]} is not a multiple of ${blockElems}`);
  }
  return (elems / blockElems) * blockBytes;
}

export const alignUp = (n: number, a = GGUF_ALIGNMENT): number => Math.ceil(n / a) * a;

/** Growable little-endian byte sink for the header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(to: number): void {
    const n = alignUp(this.length, to) - this.length;
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: MetaValue): void {
  switch (v.type) {
    case "u32":
      sink.u32(ValueType.UINT32);
      sink.u32(v.value);
      return;
    case "i32":
      sink.u32(ValueType.INT32);
      sink.i32(v.value);
      return;
    case "f32":
      sink.u32(ValueType.FLOAT32);
      sink.f32(v.value);
      return;
    case "bool":
      sink.u32(ValueType.BOOL);
      sink.u8(v.value ? 1 : 0);
      return;
    case "string":
      sink.u32(ValueType.STRING);
      sink.str(v.value);
      return;
    case "i32[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.INT32);
      sink.u64(v.value.length);
      for (const x of v.value) sink.i32(x);
      return;
    case "f32[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.FLOAT32);
      sink.u64(v.value.length);
      for (const x of v.value) sink.f32(x);
      return;
    case "string[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.STRING);
      sink.u64(v.value.length);
      for (const x of v.value) sink.str(x);
      return;
  }
}

/**
 * Serialises everything before the tensor data, padded to the alignment.
 * Returns the header and each tensor's offset relative to the data section.
 */
export function encodeHeader(
  metadata: ReadonlyArray<readonly [string, MetaValue]>,
  tensors: readonly TensorInfo[],
): { header: Buffer; offsets: number[]; sizes: number[]; dataBytes: number } {
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.str(key);
    writeValue(sink, value);
  }
  const offsets: number[] = [];
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = tensorByteSize(t);
    sink.str(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(t.type);
    sink.u64(offset);
    offsets.push(offset);
    sizes.push(size);
    offset = alignUp(offset + size);
  }
  sink.pad(GGUF_ALIGNMENT);
  return { header: Buffer.from(sink.bytes()), offsets, sizes, dataBytes: offset };
}
