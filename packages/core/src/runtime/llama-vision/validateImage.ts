import { imageSize } from "image-size";
import { InvalidInputError } from "../../errors/index.ts";
import { checkJpeg, checkPng, checkWebp, type ImageFormat, sniffImageFormat } from "./imageStructure.ts";

export type ImageMimeType = "image/png" | "image/jpeg" | "image/webp";

const MIME_OF: Record<ImageFormat, ImageMimeType> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
};

/** Limits on one image. */
export interface ImageLimits {
  /** Largest encoded size. Defaults to `10 MiB`. */
  maxBytes?: number;
  /** Most pixels (width × height). Defaults to `16_777_216` (4096 × 4096). */
  maxPixels?: number;
  /** Longest side in pixels. Defaults to `8192`. */
  maxSide?: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<Required<ImageLimits>> = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  maxSide: 8192,
};

/** An image whose bytes passed every check. */
export interface ValidatedImage {
  data: Uint8Array;
  mimeType: ImageMimeType;
  width: number;
  height: number;
}

export interface ValidateImageOptions extends ImageLimits {
  /** The MIME type the caller declared; it must match the bytes. Defaults to none (any supported type). */
  mimeType?: string;
  /** Field path named in errors (`messages[0].content[1]`). Defaults to `"image"`. */
  field?: string;
}

/** Why an image was refused; in `InvalidInputError.details.reason`. */
export type ImageRejection =
  | "empty"
  | "too-large"
  | "not-an-image"
  | "mime-mismatch"
  | "corrupt"
  | "too-many-pixels"
  | "bad-data-url"
  | "unreadable";

function reject(
  field: string,
  reason: ImageRejection,
  message: string,
  extra: Record<string, unknown> = {},
): never {
  throw new InvalidInputError(`${field}: ${message}`, { details: { field, reason, ...extra } });
}

function checkLimits(limits: ImageLimits): Required<ImageLimits> {
  const merged = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  for (const key of ["maxBytes", "maxPixels", "maxSide"] as const) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
  }
  return merged;
}

/**
 * Checks image bytes before any native decoder sees them: size, magic number
 * (PNG, JPEG or WebP), the declared MIME type, dimensions and pixel count, and
 * the file's structure (see imageStructure.ts). Throws INVALID_INPUT with
 * `details.reason` (an ImageRejection) and `details.field`.
 */
export function validateImage(data: Uint8Array, options: ValidateImageOptions = {}): ValidatedImage {
  const field = options.field ?? "image";
  const limits = checkLimits(options);
  if (!(data instanceof Uint8Array)) reject(field, "not-an-image", "image data must be bytes");
  if (data.length === 0) reject(field, "empty", "image is empty");
  if (data.length > limits.maxBytes)
    reject(field, "too-large", `image is ${data.length} bytes, more than the limit of ${limits.maxBytes}`, {
      bytes: data.length,
      maxBytes: limits.maxBytes,
    });
  const format = sniffImageFormat(data);
  if (format === undefined) reject(field, "not-an-image", "not a PNG, JPEG or WebP image");
  const mimeType = MIME_OF[format];
  if (options.mimeType !== undefined && normaliseMime(options.mimeType) !== mimeType)
    reject(field, "mime-mismatch", `declared ${options.mimeType} but the bytes are ${mimeType}`, {
      declared: options.mimeType,
      actual: mimeType,
    });
  let width: number;
  let height: number;
  try {
    const size = imageSize(data);
    width = size.width;
    height = size.height;
  } catch (error) {
    reject(field, "corrupt", `unreadable ${format} header (${(error as Error).message})`);
  }
  if (!(width >= 1 && height >= 1)) reject(field, "corrupt", `bad dimensions ${width}×${height}`);
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels)
    reject(
      field,
      "too-many-pixels",
      `image is ${width}×${height}, over the limit of ${limits.maxPixels} pixels or ${limits.maxSide} per side`,
      { width, height, maxPixels: limits.maxPixels, maxSide: limits.maxSide },
    );
  const problem = format === "png" ? checkPng(data) : format === "jpeg" ? checkJpeg(data) : checkWebp(data);
  if (problem !== undefined) reject(field, "corrupt", `corrupt ${format}: ${problem}`);
  return { data, mimeType, width, height };
}

function normaliseMime(mime: string): string {
  const base = mime.split(";")[0]!.trim().toLowerCase();
  return base === "image/jpg" ? "image/jpeg" : base;
}
