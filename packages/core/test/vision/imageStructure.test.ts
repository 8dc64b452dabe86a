import { crc32, deflateSync } from "node:zlib";
import { encodeJpeg, encodePng, jpegSegment, testPattern } from "@sluice/gguf-synth";
import sharp, { type PngOptions, type WebpOptions } from "sharp";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors/index.ts";
import {
  checkJpeg,
  checkPng,
  checkWebp,
  sniffImageFormat,
} from "../../src/runtime/llama-vision/imageStructure.ts";
import { validateImage } from "../../src/runtime/llama-vision/validateImage.ts";

// ---- PNG building blocks -------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, body and a correct CRC (unless `crc` overrides it). */
function chunk(type: string, body: Uint8Array = new Uint8Array(), crc?: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc ?? crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, tail]);
}

interface Ihdr {
  width: number;
  height: number;
  depth: number;
  colour: number;
  compression?: number;
  filter?: number;
  interlace?: number;
}

function ihdr(h: Ihdr): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(h.width, 0);
  body.writeUInt32BE(h.height, 4);
  body[8] = h.depth;
  body[9] = h.colour;
  body[10] = h.compression ?? 0;
  body[11] = h.filter ?? 0;
  body[12] = h.interlace ?? 0;
  return chunk("IHDR", body);
}

/** Deflated zero scanlines of `size` bytes (filter byte 0 and black pixels). */
const idat = (size: number): Buffer => chunk("IDAT", deflateSync(Buffer.alloc(size)));
const iend = chunk("IEND");
const png = (...chunks: Buffer[]): Uint8Array => new Uint8Array(Buffer.concat([PNG_SIGNATURE, ...chunks]));

/** A 4×2 8-bit RGB image: two rows of 1 filter byte + 12 pixel bytes. */
const RGB_4X2: Ihdr = { width: 4, height: 2, depth: 8, colour: 2 };
const goodPng = png(ihdr(RGB_4X2), idat(2 * 13), iend);

/** Colour type and interlace method read from a PNG's IHDR. */
function headerOf(bytes: Uint8Array): { depth: number; colour: number; interlace: number } {
  return { depth: bytes[24]!, colour: bytes[25]!, interlace: bytes[28]! };
}

async function sharpPng(width: number, height: number, options: PngOptions, grey = false) {
  let image = sharp(Buffer.from(testPattern(width, height)), { raw: { width, height, channels: 3 } });
  if (grey) image = image.toColourspace("b-w");
  return new Uint8Array(await image.png(options).toBuffer());
}

// ---- JPEG building blocks ------------------------------------------------------------

const segment = jpegSegment;

interface Frame {
  marker?: number;
  precision?: number;
  width?: number;
  height?: number;
  components?: number;
}

function sof({ marker = 0xc0, precision = 8, width = 8, height = 8, components = 1 }: Frame = {}): number[] {
  const specs = Array.from({ length: components }, (_, i) => [i + 1, 0x11, 0]).flat();
  return segment(marker, [
    precision,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    components,
    ...specs,
  ]);
}

const DQT = segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
// One one-bit code for symbol 0 (DC) in table 0.
const DHT = segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0]);
const SOS = segment(0xda, [1, 1, 0x00, 0, 63, 0]);
const APP0 = segment(0xe0, [...Buffer.from("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const SCAN_DATA = [0x00, 0x3f, 0x12];
const EOI = [0xff, 0xd9];

/** SOI, then the given segments, then (by default) scan data and EOI. */
function jpeg(segments: number[][], tail: number[] = [...SCAN_DATA, ...EOI]): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, ...segments.flat(), ...tail]);
}

const goodJpeg = jpeg([APP0, DQT, sof(), DHT, SOS]);

// ---- WebP building blocks ------------------------------------------------------------

/** RIFF/WEBP with the given first chunk; `riffSize` defaults to the file's length minus 8. */
function webp(fourcc: string, chunkSize: number, payload: number, riffSize?: number): Uint8Array {
  const out = Buffer.alloc(20 + payload);
  out.write("RIFF", 0, "latin1");
  out.writeUInt32LE(riffSize ?? out.length - 8, 4);
  out.write("WEBP", 8, "latin1");
  out.write(fourcc, 12, "latin1");
  out.writeUInt32LE(chunkSize, 16);
  return new Uint8Array(out);
}

async function sharpWebp(options: WebpOptions, channels: 3 | 4 = 3): Promise<Uint8Array> {
  const rgb = testPattern(24, 16);
  const pixels =
    channels === 3
      ? rgb
      : Uint8Array.from({ length: 24 * 16 * 4 }, (_, i) =>
          i % 4 === 3 ? 200 : rgb[(i >> 2) * 3 + (i % 4)]!,
        );
  return new Uint8Array(
    await sharp(Buffer.from(pixels), { raw: { width: 24, height: 16, channels } })
      .webp(options)
      .toBuffer(),
  );
}

// --------------------------------------------------------------------------------------

describe("sniffImageFormat", () => {
  it("names PNG, JPEG and WebP by their magic numbers", () => {
    expect(sniffImageFormat(goodPng)).toBe("png");
    expect(sniffImageFormat(goodJpeg)).toBe("jpeg");
    expect(sniffImageFormat(webp("VP8 ", 0, 0))).toBe("webp");
  });

  it("returns undefined for other formats and for magic numbers cut short", () => {
    expect(sniffImageFormat(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"))).toBeUndefined();
    expect(sniffImageFormat(PNG_SIGNATURE.subarray(0, 7))).toBeUndefined();
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8]))).toBeUndefined();
    // RIFF containers of other kinds (a WAVE file) are not WebP.
    expect(sniffImageFormat(new TextEncoder().encode("RIFF\x04\x00\x00\x00WAVE"))).toBeUndefined();
    expect(sniffImageFormat(new TextEncoder().encode("RIFF\x04\x00\x00\x00WEB"))).toBeUndefined();
  });
});

describe("checkPng", () => {
  it("accepts the PNGs Sluice's fixtures and sharp write: RGB, palette, greyscale, 16-bit and interlaced", async () => {
    expect(checkPng(encodePng(64, 48))).toBeUndefined();
    expect(checkPng(goodPng)).toBeUndefined();

    const palette = await sharpPng(40, 24, { palette: true });
    expect(headerOf(palette).colour).toBe(3);
    expect(checkPng(palette)).toBeUndefined();

    const grey = await sharpPng(17, 9, {}, true);
    expect(headerOf(grey)).toMatchObject({ colour: 0, depth: 8 });
    expect(checkPng(grey)).toBeUndefined();

    // Adam7 at sizes where some of the seven passes are empty (1×1) and where all are partial.
    for (const [w, h] of [
      [1, 1],
      [3, 5],
      [33, 17],
    ] as const) {
      const interlaced = await sharpPng(w, h, { progressive: true });
      expect(headerOf(interlaced).interlace).toBe(1);
      expect(checkPng(interlaced), `${w}×${h}`).toBeUndefined();
    }
  });

  it("accepts 16-bit greyscale and grey+alpha, and sub-byte greyscale rows", () => {
    // 3×2 16-bit grey: rows of 1 + 6 bytes.
    expect(
      checkPng(png(ihdr({ width: 3, height: 2, depth: 16, colour: 0 }), idat(14), iend)),
    ).toBeUndefined();
    // 5×1 grey+alpha at 8 bits: 1 + 10 bytes.
    expect(checkPng(png(ihdr({ width: 5, height: 1, depth: 8, colour: 4 }), idat(11), iend))).toBeUndefined();
    // 13×5 at 1 bit per pixel: each row is 1 filter byte + 2 bytes of pixels.
    const oneBit = ihdr({ width: 13, height: 5, depth: 1, colour: 0 });
    expect(checkPng(png(oneBit, idat(15), iend))).toBeUndefined();
    expect(checkPng(png(oneBit, idat(14), iend))).toBe("image data inflates to 14 bytes, 15 expected");
  });

  it("sizes Adam7 data by its seven passes, not by the full image", () => {
    // 3×3 RGB: passes 1, 4, 5, 6 and 7 hold 1×1, 1×1, 2×1, 1×2 and 3×1 pixels, passes 2 and 3 none:
    // (1+3) + (1+3) + (1+6) + 2·(1+3) + (1+9) = 33 bytes; without interlacing it is 3·(1+9) = 30.
    const interlaced = ihdr({ width: 3, height: 3, depth: 8, colour: 2, interlace: 1 });
    expect(checkPng(png(interlaced, idat(33), iend))).toBeUndefined();
    expect(checkPng(png(interlaced, idat(30), iend))).toBe("image data inflates to 30 bytes, 33 expected");
    expect(checkPng(png(ihdr({ width: 3, height: 3, depth: 8, colour: 2 }), idat(30), iend))).toBeUndefined();
  });

  it("skips ancillary chunks and joins image data split over several IDAT chunks", () => {
    const raw = deflateSync(Buffer.alloc(26));
    const split = png(
      ihdr(RGB_4X2),
      chunk("tEXt", Buffer.from("Comment\0Sluice")),
      chunk("IDAT", raw.subarray(0, 5)),
      chunk("IDAT", raw.subarray(5)),
      iend,
    );
    expect(checkPng(split)).toBeUndefined();
  });

  it("ignores bytes after IEND", () => {
    expect(checkPng(new Uint8Array(Buffer.concat([goodPng, Buffer.from("trailing")])))).toBeUndefined();
  });

  it("refuses chunks that run past the end of the file or fail their CRC", () => {
    const long = Buffer.from(goodPng);
    long.writeUInt32BE(1000, 33); // the IDAT length
    expect(checkPng(long)).toBe("chunk IDAT runs past the end of the file");

    const badCrc = png(ihdr(RGB_4X2), chunk("IDAT", deflateSync(Buffer.alloc(26)), 0x12345678), iend);
    expect(checkPng(badCrc)).toBe("chunk IDAT has a bad CRC");

    const widened = Buffer.from(goodPng);
    widened.writeUInt32BE(5, 16); // IHDR width changed, its CRC left as it was
    expect(checkPng(widened)).toBe("chunk IHDR has a bad CRC");
  });

  it("refuses a missing or misplaced IHDR", () => {
    expect(checkPng(PNG_SIGNATURE)).toBe("no IHDR chunk");
    expect(checkPng(png(chunk("tEXt", Buffer.from("a\0b")), ihdr(RGB_4X2), idat(26), iend))).toBe(
      "IHDR is not the first chunk",
    );
    expect(checkPng(png(chunk("IHDR", Buffer.alloc(12)), idat(26), iend))).toBe("IHDR has the wrong length");
  });

  it("refuses colour types and bit depths outside the PNG specification", () => {
    const refuse = (h: Ihdr): string | undefined => checkPng(png(ihdr(h), idat(64), iend));
    expect(refuse({ width: 4, height: 2, depth: 4, colour: 2 })).toBe("unsupported colour type or bit depth");
    expect(refuse({ width: 4, height: 2, depth: 16, colour: 3 })).toBe(
      "unsupported colour type or bit depth",
    );
    expect(refuse({ width: 4, height: 2, depth: 8, colour: 5 })).toBe("unsupported colour type or bit depth");
    expect(refuse({ ...RGB_4X2, compression: 1 })).toBe("unknown compression, filter or interlace");
    expect(refuse({ ...RGB_4X2, filter: 1 })).toBe("unknown compression, filter or interlace");
    expect(refuse({ ...RGB_4X2, interlace: 2 })).toBe("unknown compression, filter or interlace");
  });

  it("refuses a file without IEND, without image data, or a palette image without PLTE", () => {
    expect(checkPng(png(ihdr(RGB_4X2), idat(26)))).toBe("no IEND chunk (truncated file)");
    expect(checkPng(png(ihdr(RGB_4X2), iend))).toBe("no image data");
    const indexed: Ihdr = { width: 4, height: 2, depth: 8, colour: 3 };
    expect(checkPng(png(ihdr(indexed), idat(10), iend))).toBe("palette image without a palette");
    expect(checkPng(png(ihdr(indexed), chunk("PLTE", Buffer.alloc(3)), idat(10), iend))).toBeUndefined();
  });

  it("refuses image data that is longer than the dimensions or not a zlib stream", () => {
    // One byte too many is still measured; more than that stops the inflation early.
    expect(checkPng(png(ihdr(RGB_4X2), idat(27), iend))).toBe("image data inflates to 27 bytes, 26 expected");
    expect(checkPng(png(ihdr(RGB_4X2), idat(4096), iend))).toBe("image data is longer than its dimensions");
    expect(checkPng(png(ihdr(RGB_4X2), chunk("IDAT", Buffer.from("not zlib at all")), iend))).toBe(
      "image data does not inflate",
    );
  });
});

describe("checkJpeg", () => {
  it("accepts the baseline JPEG of Sluice's fixtures and what sharp writes (JFIF, progressive, CMYK)", async () => {
    expect(checkJpeg(encodeJpeg(40, 30))).toBeUndefined();
    expect(checkJpeg(goodJpeg)).toBeUndefined();

    const raw = sharp(Buffer.from(testPattern(32, 24)), { raw: { width: 32, height: 24, channels: 3 } });
    const baseline = await raw.clone().jpeg().toBuffer();
    const progressive = await raw.clone().jpeg({ progressive: true }).toBuffer();
    const cmyk = await raw.clone().toColourspace("cmyk").jpeg().toBuffer();
    expect(progressive.includes(Buffer.from([0xff, 0xc2]))).toBe(true);
    for (const bytes of [baseline, progressive, cmyk])
      expect(checkJpeg(new Uint8Array(bytes))).toBeUndefined();
  });

  it("accepts fill bytes before a marker and padding after the end-of-image marker", () => {
    expect(checkJpeg(jpeg([DQT, [0xff, 0xff], sof(), DHT, SOS]))).toBeUndefined();
    expect(checkJpeg(jpeg([DQT, sof(), DHT, SOS], [...SCAN_DATA, ...EOI, 0, 0, 0, 0]))).toBeUndefined();
  });

  it("accepts 3- and 4-component frames and refuses other component counts", () => {
    expect(checkJpeg(jpeg([DQT, sof({ components: 3 }), DHT, SOS]))).toBeUndefined();
    expect(checkJpeg(jpeg([DQT, sof({ components: 4 }), DHT, SOS]))).toBeUndefined();
    expect(checkJpeg(jpeg([DQT, sof({ components: 2 }), DHT, SOS]))).toBe("bad frame components");
    // Three components declared, the specs of only one present.
    const short = sof({ components: 1 });
    short[9] = 3;
    expect(checkJpeg(jpeg([DQT, short, DHT, SOS]))).toBe("bad frame components");
  });

  it("refuses lossless, hierarchical and arithmetic-coded frames", () => {
    for (const marker of [0xc3, 0xc5, 0xc9, 0xcf]) {
      expect(checkJpeg(jpeg([DQT, sof({ marker }), DHT, SOS])), marker.toString(16)).toBe(
        "lossless, hierarchical or arithmetic-coded JPEG",
      );
    }
  });

  it("refuses frame headers that are short, not 8-bit or of zero size", () => {
    expect(checkJpeg(jpeg([DQT, segment(0xc0, [8, 0, 8, 0, 8]), DHT, SOS]))).toBe("frame header too short");
    expect(checkJpeg(jpeg([DQT, sof({ precision: 12 }), DHT, SOS]))).toBe("only 8-bit JPEG is supported");
    expect(checkJpeg(jpeg([DQT, sof({ height: 0 }), DHT, SOS]))).toBe("zero image dimension");
    expect(checkJpeg(jpeg([DQT, sof({ width: 0 }), DHT, SOS]))).toBe("zero image dimension");
  });

  it("refuses a scan that comes before the frame or its tables", () => {
    expect(checkJpeg(jpeg([DQT, DHT, SOS, sof()]))).toBe("scan before the frame header");
    expect(checkJpeg(jpeg([sof(), DHT, SOS]))).toBe("missing quantisation or Huffman tables");
    expect(checkJpeg(jpeg([DQT, sof(), SOS]))).toBe("missing quantisation or Huffman tables");
    // EOI has no length field: at the very end of the file it reads as a cut header; followed by
    // more bytes, it is named for what it is.
    expect(checkJpeg(jpeg([DQT, sof(), DHT], EOI))).toBe("truncated before the first scan");
    expect(checkJpeg(jpeg([DQT, sof(), DHT], [...EOI, 0x00, 0x04, 0x00, 0x00]))).toBe(
      "end of image before any scan",
    );
  });

  it("refuses segments whose lengths do not fit and bytes that are not markers", () => {
    expect(checkJpeg(jpeg([DQT, sof(), DHT, [0xff, 0xe1, 0x00, 0x01]]))).toBe(
      "segment 0xe1 runs past the end",
    );
    expect(checkJpeg(jpeg([DQT, sof(), DHT, [0xff, 0xe1, 0x40, 0x00]]))).toBe(
      "segment 0xe1 runs past the end",
    );
    // APP0 declares one byte fewer than it holds: the next "marker" is its last byte.
    const app0 = [...APP0];
    app0[3] = app0[3]! - 1;
    expect(checkJpeg(jpeg([app0, DQT, sof(), DHT, SOS]))).toBe(
      `expected a marker at byte ${2 + APP0.length - 1}`,
    );
  });

  it("refuses a file cut before the first scan or before the end-of-image marker", () => {
    expect(checkJpeg(jpeg([DQT, sof()], []))).toBe("truncated before the first scan");
    expect(checkJpeg(jpeg([DQT, sof(), DHT, SOS], SCAN_DATA))).toBe(
      "no end-of-image marker (truncated file)",
    );
  });

  it("refuses, rather than throws on, a header that ends in fill bytes", () => {
    // Fill bytes run up to the end of the file: there is no room left for a segment length.
    const filled = jpeg([DQT, sof(), DHT], [0xff, 0xff, 0xff, 0xff]);
    expect(checkJpeg(filled)).toBe("truncated before the first scan");
    expect(() => validateImage(filled)).toThrow(InvalidInputError);
    expect(() => validateImage(filled)).toThrow("image: corrupt jpeg: truncated before the first scan");
  });
});

describe("checkWebp", () => {
  it("accepts lossy (VP8), lossless (VP8L) and extended (VP8X) files from sharp", async () => {
    const lossy = await sharpWebp({});
    const lossless = await sharpWebp({ lossless: true });
    const withAlpha = await sharpWebp({}, 4);
    const fourcc = (b: Uint8Array): string => Buffer.from(b.subarray(12, 16)).toString("latin1");
    expect([fourcc(lossy), fourcc(lossless), fourcc(withAlpha)]).toEqual(["VP8 ", "VP8L", "VP8X"]);
    for (const bytes of [lossy, lossless, withAlpha]) expect(checkWebp(bytes)).toBeUndefined();
  });

  it("refuses a RIFF size past the end of the file and a file too short for a chunk header", () => {
    expect(checkWebp(webp("VP8 ", 4, 4, 100))).toBe("RIFF size runs past the end of the file");
    expect(checkWebp(new TextEncoder().encode("RIFF\x08\x00\x00\x00WEBPVP8 "))).toBe("too short");
  });

  it("refuses an unknown first chunk and a first chunk larger than the RIFF size", () => {
    expect(checkWebp(webp("ALPH", 4, 4))).toBe("unknown first chunk ALPH");
    expect(checkWebp(webp("VP8 ", 4, 4))).toBeUndefined();
    expect(checkWebp(webp("VP8 ", 5, 4))).toBe("chunk VP8 runs past the RIFF size");
    expect(checkWebp(webp("VP8L", 100, 4))).toBe("chunk VP8L runs past the RIFF size");
  });
});
