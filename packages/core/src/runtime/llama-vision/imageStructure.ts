/**
 * Structural checks of image bytes, done in JavaScript before any native
 * decoder sees them. llama.cpp's image loader runs inside the runner: a file it
 * cannot decode fails the completion (and, in the binding's parallel mode,
 * aborts the process), so what reaches it must already be known to decode.
 * Each check returns the reason it failed, or undefined when the image is sound.
 */
import { crc32, inflateSync } from "node:zlib";

export type ImageFormat = "png" | "jpeg" | "webp";

/** The format of `bytes` by its magic number, or undefined when it is not PNG, JPEG or WebP. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === "PNG" && bytes[4] === 0x0d)
    return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  return undefined;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Bytes of the filtered scanlines a PNG's IDAT stream must inflate to. */
function pngRawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number): number =>
    w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  }
  return total;
}

/**
 * Walks every chunk (lengths inside the file, CRCs correct), checks IHDR, and
 * inflates the image data to the exact size its dimensions require: a full
 * decode short of unfiltering, which cannot fail once the sizes agree.
 */
export function checkPng(bytes: Uint8Array): string | undefined {
  const dv = view(bytes);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  let palette = false;
  let ended = false;
  const idat: Uint8Array[] = [];
  while (offset + 12 <= bytes.length) {
    const length = dv.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    if (length > bytes.length - offset - 12) return `chunk ${type} runs past the end of the file`;
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    const crc = dv.getUint32(offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== crc) return `chunk ${type} has a bad CRC`;
    if (header === undefined && type !== "IHDR") return "IHDR is not the first chunk";
    if (type === "IHDR") {
      if (length !== 13) return "IHDR has the wrong length";
      const h = view(body);
      header = {
        width: h.getUint32(0),
        height: h.getUint32(4),
        depth: body[8]!,
        colour: body[9]!,
        interlace: body[12]!,
      };
      if (!PNG_DEPTHS[header.colour]?.includes(header.depth)) return "unsupported colour type or bit depth";
      if (body[10] !== 0 || body[11] !== 0 || header.interlace > 1)
        return "unknown compression, filter or interlace";
    } else if (type === "PLTE") palette = true;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") {
      ended = true;
      break;
    }
    offset += 12 + length;
  }
  if (header === undefined) return "no IHDR chunk";
  if (!ended) return "no IEND chunk (truncated file)";
  if (idat.length === 0) return "no image data";
  if (header.colour === 3 && !palette) return "palette image without a palette";
  const bpp = PNG_CHANNELS[header.colour]! * header.depth;
  const expected = pngRawSize(header.width, header.height, bpp, header.interlace === 1);
  let raw: Buffer;
  try {
    // One byte more than needed: a stream that inflates past it is too long.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ERR_BUFFER_TOO_LARGE"
      ? "image data is longer than its dimensions"
      : "image data does not inflate";
  }
  if (raw.length !== expected) return `image data inflates to ${raw.length} bytes, ${expected} expected`;
  return undefined;
}

// Start-of-frame markers stb_image decodes: baseline, extended Huffman, progressive.
const JPEG_SOF_OK = new Set([0xc0, 0xc1, 0xc2]);
// Lossless, hierarchical and arithmetic-coded frames it does not.
const JPEG_SOF_UNSUPPORTED = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Walks the marker segments up to the first scan (lengths inside the file, a
 * supported frame type with 1, 3 or 4 components, quantisation and Huffman
 * tables present), then requires the end-of-image marker.
 */
export function checkJpeg(bytes: Uint8Array): string | undefined {
  const dv = view(bytes);
  let offset = 2;
  let frame = false;
  let quantTables = false;
  let huffmanTables = false;
  for (;;) {
    if (offset + 4 > bytes.length) return "truncated before the first scan";
    if (bytes[offset] !== 0xff) return `expected a marker at byte ${offset}`;
    let marker = bytes[offset + 1]!;
    while (marker === 0xff && offset + 2 < bytes.length) marker = bytes[++offset + 1]!;
    // Fill bytes may have carried the marker up to the last bytes of the file.
    if (offset + 4 > bytes.length) return "truncated before the first scan";
    const length = dv.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length)
      return `segment 0x${marker.toString(16)} runs past the end`;
    if (JPEG_SOF_UNSUPPORTED.has(marker)) return "lossless, hierarchical or arithmetic-coded JPEG";
    if (JPEG_SOF_OK.has(marker)) {
      if (length < 8) return "frame header too short";
      const components = bytes[offset + 9]!;
      if (bytes[offset + 4] !== 8) return "only 8-bit JPEG is supported";
      if (![1, 3, 4].includes(components) || length !== 8 + 3 * components) return "bad frame components";
      if (dv.getUint16(offset + 5) === 0 || dv.getUint16(offset + 7) === 0) return "zero image dimension";
      frame = true;
    } else if (marker === 0xdb) quantTables = true;
    else if (marker === 0xc4) huffmanTables = true;
    else if (marker === 0xda) {
      if (!frame) return "scan before the frame header";
      if (!quantTables || !huffmanTables) return "missing quantisation or Huffman tables";
      break;
    } else if (marker === 0xd9) return "end of image before any scan";
    offset += 2 + length;
  }
  // Encoders may append padding after EOI; look for it near the end only.
  const tail = bytes.subarray(Math.max(offset, bytes.length - 4096));
  for (let i = tail.length - 2; i >= 0; i--) {
    if (tail[i] === 0xff && tail[i + 1] === 0xd9) return undefined;
  }
  return "no end-of-image marker (truncated file)";
}

/** RIFF size consistent with the file, and a VP8, VP8L or VP8X first chunk inside it. */
export function checkWebp(bytes: Uint8Array): string | undefined {
  const dv = view(bytes);
  const riffSize = dv.getUint32(4, true);
  if (riffSize + 8 > bytes.length) return "RIFF size runs past the end of the file";
  if (bytes.length < 20) return "too short";
  const chunk = ascii(bytes, 12, 4);
  if (chunk !== "VP8 " && chunk !== "VP8L" && chunk !== "VP8X") return `unknown first chunk ${chunk}`;
  if (dv.getUint32(16, true) + 20 > riffSize + 8) return `chunk ${chunk.trim()} runs past the RIFF size`;
  return undefined;
}
