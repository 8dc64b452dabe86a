import { InvalidInputError } from "../../errors/index.ts";
import type { GenerateParams } from "../engine/Engine.ts";
import { toDataUrl } from "./imageSources.ts";
import { type ImageLimits, type ValidatedImage, validateImage } from "./validateImage.ts";

/** Where llama.cpp's mtmd puts each image in the prompt. */
export const MEDIA_MARKER = "<__media__>";

/** A generation request in the binding's terms: text with one marker per image, and the images. */
export interface VisionRequest {
  /** Raw prompt (completion mode). */
  prompt?: string;
  /** Chat messages with string content, images replaced by markers. */
  messages?: Array<{ role: string; content: string }>;
  /** One data URL per marker, in order. */
  media: string[];
  images: Array<Omit<ValidatedImage, "data"> & { bytes: number }>;
}

export interface VisionRequestLimits extends ImageLimits {
  /** Most images in one request. Defaults to `8`. */
  maxImages?: number;
}

// The binding decodes images with stb_image, which reads PNG and JPEG but not WebP.
const DECODABLE = new Set(["image/png", "image/jpeg"]);

function checkText(field: string, text: string): string {
  // A stray marker would leave markers and images out of step: in the binding's
  // parallel mode that aborts the process, in serial mode it fails the context.
  if (text.includes(MEDIA_MARKER))
    throw new InvalidInputError(`${field} contains the reserved sequence ${MEDIA_MARKER}`, {
      details: { field, reason: "media-marker" },
    });
  return text;
}

/**
 * Validates every image of a request (bytes, type, dimensions, structure) and
 * lays the request out for the binding. Throws INVALID_INPUT naming the field.
 */
export function buildVisionRequest(params: GenerateParams, limits: VisionRequestLimits = {}): VisionRequest {
  const maxImages = limits.maxImages ?? 8;
  if (params.prompt !== undefined)
    return { prompt: checkText("prompt", params.prompt), media: [], images: [] };
  const media: string[] = [];
  const images: VisionRequest["images"] = [];
  const messages = (params.messages ?? []).map((m, i) => {
    if (typeof m.content === "string")
      return { role: m.role, content: checkText(`messages[${i}].content`, m.content) };
    const text = m.content
      .map((part, j) => {
        const field = `messages[${i}].content[${j}]`;
        if (part.type === "text") return checkText(field, part.text);
        if (part.type !== "image")
          throw new InvalidInputError(`${field} has an unknown part type`, {
            details: { field, reason: "part-type" },
          });
        if (images.length >= maxImages)
          throw new InvalidInputError(`${field}: more than ${maxImages} images in one request`, {
            details: { field, reason: "too-many-images", maxImages },
          });
        const image = validateImage(part.data, { ...limits, mimeType: part.mimeType, field });
        if (!DECODABLE.has(image.mimeType))
          throw new InvalidInputError(
            `${field}: ${image.mimeType} is not decodable by the vision engine; send PNG or JPEG`,
            {
              details: { field, reason: "unsupported-format", mimeType: image.mimeType },
            },
          );
        media.push(toDataUrl(image.data, image.mimeType));
        images.push({
          mimeType: image.mimeType,
          width: image.width,
          height: image.height,
          bytes: image.data.length,
        });
        return MEDIA_MARKER;
      })
      .join("");
    return { role: m.role, content: text };
  });
  return { messages, media, images };
}
