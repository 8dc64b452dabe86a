import { crc32 } from "node:zlib";
import { encodeJpeg, encodePng, testPattern } from "@sluice/gguf-synth";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImageDataUrl, toDataUrl } from "./imageSources.ts";
import { validateImage } from "./validateImage.ts";

const png = encodePng(64, 48);
const jpeg = encodeJpeg(40, 30);

function reason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toMatchObject({ code: "INVALID_INPUT", httpStatus: 400 });
    return (error as { details: { reason: unknown } }).details.reason;
  }
  throw new Error("expected an INVALID_INPUT error");
}

/** The PNG with the 4-byte big-endian value at `offset` replaced (IHDR width at 16, height at 20). */
function patchU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  new DataView(copy.buffer).setUint32(offset, value);
  return copy;
}

describe("validateImage", () => {
  it("accepts a PNG and a JPEG and reports their type and dimensions", () => {
    expect(validateImage(png)).toMatchObject({ mimeType: "image/png", width: 64, height: 48 });
    expect(validateImage(jpeg, { mimeType: "image/jpg" })).toMatchObject({
      mimeType: "image/jpeg",
      width: 40,
      height: 30,
    });
  });

  it("accepts a WebP and refuses one whose RIFF size runs past the file", async () => {
    const webp = new Uint8Array(
      await sharp(Buffer.from(testPattern(30, 20)), { raw: { width: 30, height: 20, channels: 3 } })
        .webp()
        .toBuffer(),
    );
    expect(validateImage(webp, { mimeType: "image/webp" })).toMatchObject({
      mimeType: "image/webp",
      width: 30,
      height: 20,
    });
    expect(reason(() => validateImage(webp.subarray(0, webp.length - 8)))).toBe("corrupt");
  });

  it("refuses empty bytes, text and a GIF as not images", () => {
    expect(reason(() => validateImage(new Uint8Array()))).toBe("empty");
    expect(reason(() => validateImage(new TextEncoder().encode("hello, I am not a picture")))).toBe(
      "not-an-image",
    );
    expect(reason(() => validateImage(new TextEncoder().encode("GIF89a\x01\x00\x01\x00")))).toBe(
      "not-an-image",
    );
  });

  it("refuses a PNG whose image data was damaged (bad CRC)", () => {
    const damaged = new Uint8Array(png);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] as number) ^ 0xff;
    expect(reason(() => validateImage(damaged))).toBe("corrupt");
  });

  it("refuses a PNG whose data does not inflate to its declared size, even with correct CRCs", () => {
    // Doubling the declared height (and fixing the IHDR CRC) leaves the data half as long as needed.
    const taller = patchU32(png, 20, 96);
    new DataView(taller.buffer).setUint32(29, crc32(taller.subarray(12, 29)));
    expect(reason(() => validateImage(taller))).toBe("corrupt");
    expect(() => validateImage(taller)).toThrow(/inflates to \d+ bytes/);
  });

  it("refuses truncated PNG and JPEG files", () => {
    expect(reason(() => validateImage(png.subarray(0, png.length - 30)))).toBe("corrupt");
    expect(reason(() => validateImage(jpeg.subarray(0, jpeg.length - 2)))).toBe("corrupt");
  });

  it("refuses an image over the pixel, side or byte limit", () => {
    expect(reason(() => validateImage(png, { maxPixels: 64 * 47 }))).toBe("too-many-pixels");
    expect(reason(() => validateImage(png, { maxSide: 63 }))).toBe("too-many-pixels");
    expect(reason(() => validateImage(png, { maxBytes: png.length - 1 }))).toBe("too-large");
    // A header claiming 100000 × 100000 pixels is refused before any decoding.
    expect(reason(() => validateImage(patchU32(patchU32(png, 16, 100_000), 20, 100_000)))).toBe(
      "too-many-pixels",
    );
  });

  it("refuses bytes that do not match the declared MIME type", () => {
    expect(reason(() => validateImage(png, { mimeType: "image/jpeg" }))).toBe("mime-mismatch");
  });

  it("names the field in the error", () => {
    expect(() => validateImage(new Uint8Array([1, 2, 3]), { field: "messages[0].content[1]" })).toThrow(
      /messages\[0\]\.content\[1\]/,
    );
  });

  it("refuses non-positive limits with a RangeError naming the value", () => {
    expect(() => validateImage(png, { maxPixels: 0 })).toThrow(RangeError);
  });
});

describe("decodeImageDataUrl", () => {
  it("decodes a PNG and a JPEG data URL into validated bytes", () => {
    const a = decodeImageDataUrl(toDataUrl(png, "image/png"));
    expect(a).toMatchObject({ mimeType: "image/png", width: 64, height: 48 });
    expect(Buffer.from(a.data).equals(Buffer.from(png))).toBe(true);
    expect(decodeImageDataUrl(toDataUrl(jpeg, "image/jpeg"))).toMatchObject({
      mimeType: "image/jpeg",
      width: 40,
    });
  });

  it("refuses URLs that are not base64 image data URLs", () => {
    expect(reason(() => decodeImageDataUrl("https://example.com/cat.png"))).toBe("bad-data-url");
    expect(reason(() => decodeImageDataUrl("data:text/plain;base64,aGVsbG8="))).toBe("bad-data-url");
    expect(reason(() => decodeImageDataUrl("data:image/png;base64,@@@@"))).toBe("bad-data-url");
  });

  it("refuses an oversized payload from its length, before decoding it", () => {
    const url = `data:image/png;base64,${"A".repeat(4 * 1024 * 1024)}`;
    expect(reason(() => decodeImageDataUrl(url, { maxBytes: 1024 * 1024 }))).toBe("too-large");
  });

  it("refuses a data URL whose declared type is not the bytes' type", () => {
    expect(reason(() => decodeImageDataUrl(toDataUrl(jpeg, "image/png")))).toBe("mime-mismatch");
  });
});
