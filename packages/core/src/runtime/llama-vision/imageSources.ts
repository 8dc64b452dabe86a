/**
 * Where images come from before they enter a generation request: base64 data
 * URLs (the OpenAI `image_url` part, the playground's uploads) and files. Both
 * end as validated bytes in a `{ type: "image", data, mimeType }` content part.
 */
import { open } from "node:fs/promises";
import { InvalidInputError } from "../../errors/index.ts";
import type { ChatContentPart } from "../engine/Engine.ts";
import {
  DEFAULT_IMAGE_LIMITS,
  type ValidatedImage,
  type ValidateImageOptions,
  validateImage,
} from "./validateImage.ts";

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[^;,]*)*);base64,/i;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a `data:image/png|jpeg|webp;base64,…` URL into validated bytes.
 * The base64 length is checked against `maxBytes` before decoding, so an
 * oversized URL costs no allocation. Throws INVALID_INPUT (`details.reason`:
 * "bad-data-url" or an ImageRejection).
 */
export function decodeImageDataUrl(url: string, options: ValidateImageOptions = {}): ValidatedImage {
  const field = options.field ?? "image_url";
  if (typeof url !== "string")
    throw new InvalidInputError(`${field}: must be a string`, { details: { field, reason: "bad-data-url" } });
  const match = DATA_URL.exec(url);
  if (match === null)
    throw new InvalidInputError(`${field}: must be a data:image/…;base64, URL`, {
      details: { field, reason: "bad-data-url", prefix: url.slice(0, 32) },
    });
  const maxBytes = options.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes;
  const body = url.slice(match[0].length).replace(/\s+/g, "");
  const decodedLength =
    Math.floor((body.length * 3) / 4) - (body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0);
  if (decodedLength > maxBytes)
    throw new InvalidInputError(
      `${field}: image is ${decodedLength} bytes, more than the limit of ${maxBytes}`,
      {
        details: { field, reason: "too-large", bytes: decodedLength, maxBytes },
      },
    );
  if (body.length % 4 !== 0 || !BASE64_BODY.test(body))
    throw new InvalidInputError(`${field}: the base64 payload is malformed`, {
      details: { field, reason: "bad-data-url" },
    });
  const data = new Uint8Array(Buffer.from(body, "base64"));
  return validateImage(data, { ...options, field, mimeType: match[1] });
}

/** Reads and validates an image file; never reads more than `maxBytes` + 1 bytes. */
export async function readImageFile(
  path: string,
  options: ValidateImageOptions = {},
): Promise<ValidatedImage> {
  const field = options.field ?? "image";
  const maxBytes = options.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new InvalidInputError(`${field}: cannot read ${path}`, {
      cause: error,
      details: { field, reason: "unreadable", code: (error as NodeJS.ErrnoException).code },
    });
  }
  try {
    const size = (await handle.stat()).size;
    const want = Math.min(size, maxBytes + 1);
    const data = new Uint8Array(want);
    const { bytesRead } = await handle.read(data, 0, want, 0);
    return validateImage(data.subarray(0, bytesRead), options);
  } finally {
    await handle.close();
  }
}

/** A validated image as a content part of a chat message. */
export function imagePart(image: ValidatedImage): ChatContentPart {
  return { type: "image", data: image.data, mimeType: image.mimeType };
}

/** Encodes bytes as a data URL (how the vision runner hands images to llama.cpp). */
export function toDataUrl(data: Uint8Array, mimeType: string): string {
  return `data:${mimeType};base64,${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")}`;
}
