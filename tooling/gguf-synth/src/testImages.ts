/**
 * Deterministic test images for vision fixtures and benchmarks: an RGB pattern
 * encoded as PNG (node:zlib) or as a baseline greyscale JPEG, written by hand so
 * tests need no image library.
 */
import { crc32, deflateSync } from "node:zlib";

/** A deterministic RGB test pattern: gradients plus a checkerboard, so tiles differ. */
export function testPattern(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const check = ((x >> 4) + (y >> 4)) & 1 ? 64 : 0;
      rgb[i] = (x * 255) / Math.max(1, width - 1);
      rgb[i + 1] = (y * 255) / Math.max(1, height - 1);
      rgb[i + 2] = 128 + check;
    }
  }
  return rgb;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes an 8-bit RGB PNG (filter 0 on every row). */
export function encodePng(width: number, height: number, rgb = testPattern(width, height)): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Natural (row-major) index of each zigzag position, generated rather than typed. */
function zigzag(): number[] {
  const order: number[] = [];
  for (let s = 0; s < 15; s++) {
    const cells: number[] = [];
    for (let y = 0; y < 8; y++) {
      const x = s - y;
      if (x >= 0 && x < 8) cells.push(y * 8 + x);
    }
    // Even diagonals run bottom-left to top-right.
    order.push(...(s % 2 === 0 ? cells.reverse() : cells));
  }
  return order;
}
const ZIGZAG = zigzag();
const QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// The AC symbols: end-of-block, zero-run-of-16, and every (run, size) pair.
function acSymbols(): number[] {
  const out = [0x00, 0xf0];
  for (let run = 0; run < 16; run++) for (let size = 1; size <= 10; size++) out.push((run << 4) | size);
  return out;
}

/** Canonical Huffman codes from a BITS/VALS pair. */
function huffman(bits: number[], vals: number[]): Map<number, { code: number; length: number }> {
  const table = new Map<number, { code: number; length: number }>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]!; i++) table.set(vals[k++]!, { code: code++, length });
    code <<= 1;
  }
  return table;
}

class BitWriter {
  readonly bytes: number[] = [];
  #acc = 0;
  #n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((value >> i) & 1);
      if (++this.#n === 8) this.#flushByte();
    }
  }
  #flushByte(): void {
    this.bytes.push(this.#acc);
    if (this.#acc === 0xff) this.bytes.push(0); // byte stuffing
    this.#acc = 0;
    this.#n = 0;
  }
  finish(): void {
    while (this.#n !== 0) this.write(1, 1);
  }
}

function category(v: number): number {
  let a = Math.abs(v);
  let n = 0;
  while (a > 0) {
    a >>= 1;
    n++;
  }
  return n;
}

/** Encodes a baseline greyscale JPEG (standard luminance tables) of the test pattern's luma. */
/** A JPEG marker segment: 0xFF, the marker, a big-endian length counting itself, the body. */
export function jpegSegment(marker: number, body: number[]): number[] {
  return [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
}

export function encodeJpeg(width: number, height: number, rgb = testPattern(width, height)): Uint8Array {
  const ac = acSymbols();
  // 162 codes by length (4 to 10 bits): a complete-enough prefix code with no all-ones code.
  const acBits = [0, 0, 0, 2, 4, 8, 16, 32, 64, 36, 0, 0, 0, 0, 0, 0];
  const dcCodes = huffman(DC_BITS, DC_VALS);
  const acCodes = huffman(acBits, ac);
  const luma = (x: number, y: number): number => {
    const i = (Math.min(y, height - 1) * width + Math.min(x, width - 1)) * 3;
    return 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
  };
  const cos = Array.from({ length: 64 }, (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16));
  const bits = new BitWriter();
  let previousDc = 0;
  const block = new Float64Array(64);
  const px = new Float64Array(64);
  const emit = (symbol: number, codes: Map<number, { code: number; length: number }>): void => {
    const c = codes.get(symbol);
    if (c === undefined) throw new RangeError(`no Huffman code for symbol ${symbol}`);
    bits.write(c.code, c.length);
  };
  const emitValue = (v: number, size: number): void => {
    if (size > 0) bits.write(v < 0 ? v + (1 << size) - 1 : v, size);
  };
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let i = 0; i < 64; i++) px[i] = luma(bx + (i & 7), by + (i >> 3)) - 128;
      for (let v = 0; v < 8; v++) {
        for (let u = 0; u < 8; u++) {
          let sum = 0;
          for (let i = 0; i < 64; i++) sum += px[i]! * cos[(i & 7) * 8 + u]! * cos[(i >> 3) * 8 + v]!;
          const cu = u === 0 ? Math.SQRT1_2 : 1;
          const cv = v === 0 ? Math.SQRT1_2 : 1;
          block[v * 8 + u] = Math.round((0.25 * cu * cv * sum) / QUANT[v * 8 + u]!);
        }
      }
      const dc = block[0]!;
      const diff = dc - previousDc;
      previousDc = dc;
      emit(category(diff), dcCodes);
      emitValue(diff, category(diff));
      let run = 0;
      for (let k = 1; k < 64; k++) {
        const coefficient = block[ZIGZAG[k]!]!;
        if (coefficient === 0) {
          run++;
          continue;
        }
        while (run > 15) {
          emit(0xf0, acCodes);
          run -= 16;
        }
        const size = category(coefficient);
        emit((run << 4) | size, acCodes);
        emitValue(coefficient, size);
        run = 0;
      }
      if (run > 0) emit(0x00, acCodes);
    }
  }
  bits.finish();
  const out = [
    0xff,
    0xd8,
    ...jpegSegment(0xdb, [0, ...ZIGZAG.map((i) => QUANT[i]!)]),
    ...jpegSegment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...jpegSegment(0xc4, [0x00, ...DC_BITS, ...DC_VALS]),
    ...jpegSegment(0xc4, [0x10, ...acBits, ...ac]),
    ...jpegSegment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ];
  return Buffer.concat([Buffer.from(out), Buffer.from(bits.bytes), Buffer.from([0xff, 0xd9])]);
}
