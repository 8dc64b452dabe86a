import { GgmlType } from "./ggufWriter.ts";
import type { RandomStream } from "./random.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE-754 half from a float (round to nearest even; no NaN inputs here). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant = (mant | 0x800000) >>> (1 - e);
    if (mant & 0x1000) mant += 0x2000;
    return sign | (mant >>> 13);
  }
  if (mant & 0x1000) {
    mant += 0x2000;
    if (mant & 0x800000) {
      mant = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | (mant >>> 13);
}

/**
 * Fills `out` with the encoding of `elems` weights uniform in [-scale, scale]
 * (or a constant, for norms). Quantised types draw the quantised values
 * directly: a random Q8_0 block is exactly as costly to run as a trained one.
 */
export function fillTensorChunk(
  out: Buffer,
  type: GgmlType,
  elems: number,
  rng: RandomStream,
  init: { kind: "uniform"; scale: number } | { kind: "constant"; value: number },
): void {
  if (type === GgmlType.F32 || type === GgmlType.F16) {
    const width = type === GgmlType.F32 ? 4 : 2;
    if (init.kind === "constant") {
      if (width === 4) for (let i = 0; i < elems; i++) out.writeFloatLE(init.value, i * 4);
      else {
        const h = toHalf(init.value);
        for (let i = 0; i < elems; i++) out.writeUInt16LE(h, i * 2);
      }
      return;
    }
    let raw = rng.bytes(elems * 4);
    if (raw.byteOffset % 4 !== 0) raw = Buffer.from(raw);
    const words = new Uint32Array(raw.buffer, raw.byteOffset, elems);
    const k = (2 * init.scale) / 2 ** 32;
    if (width === 4) {
      const floats = new Float32Array(out.buffer, out.byteOffset, elems);
      for (let i = 0; i < elems; i++) floats[i] = words[i]! * k - init.scale;
    } else {
      for (let i = 0; i < elems; i++) out.writeUInt16LE(toHalf(words[i]! * k - init.scale), i * 2);
    }
    return;
  }
  if (init.kind === "constant") throw new RangeError("constant init is only for F32/F16 tensors");
  const blocks = elems / 32;
  if (type === GgmlType.Q8_0) {
    // int8 q in [-128, 127] times d spans [-scale, scale]
    const d = toHalf(init.scale / 127);
    rng.bytes(blocks * 34).copy(out);
    for (let b = 0; b < blocks; b++) out.writeUInt16LE(d, b * 34);
    return;
  }
  // Q4_0: nibble q in [0, 15], value (q - 8) * d
  const d = toHalf(init.scale / 8);
  rng.bytes(blocks * 18).copy(out);
  for (let b = 0; b < blocks; b++) out.writeUInt16LE(d, b * 18);
}
