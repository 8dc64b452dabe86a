import { InvalidInputError } from "../../errors/index.ts";
import type { ChatContentPart, GenerateParams } from "../engine/Engine.ts";
import { toDataUrl } from "./imageSources.ts";
import { webpToPng } from "./transcodeImage.ts";
import {
  DEFAULT_IMAGE_LIMITS,
  type ImageLimits,
  type ValidatedImage,
  validateImage,
} from "./validateImage.ts";

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

// The binding decodes images with stb_image, which reads PNG and JPEG; WebP is transcoded first.
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
 * Validates every image of a request (bytes, type, dimensions, structure),
 * transcodes WebP to PNG, and lays the request out for the binding. Throws
 * INVALID_INPUT naming the field.
 */
export async function buildVisionRequest(
  params: GenerateParams,
  limits: VisionRequestLimits = {},
): Promise<VisionRequest> {
  if (params.prompt !== undefined)
    return { prompt: checkText("prompt", params.prompt), media: [], images: [] };
  const request: VisionRequest & { messages: Array<{ role: string; content: string }> } = {
    messages: [],
    media: [],
    images: [],
  };
  for (const [i, m] of (params.messages ?? []).entries()) {
    if (typeof m.content === "string") {
      request.messages.push({ role: m.role, content: checkText(`messages[${i}].content`, m.content) });
      continue;
    }
    let content = "";
    for (const [j, part] of m.content.entries()) {
      const field = `messages[${i}].content[${j}]`;
      if (part.type === "text") content += checkText(field, part.text);
      else if (part.type === "image") content += await addImage(request, part, field, limits);
      else
        throw new InvalidInputError(`${field} has an unknown part type`, {
          details: { field, reason: "part-type" },
        });
    }
    request.messages.push({ role: m.role, content });
  }
  return request;
}

/** Validates one image part, appends it to the request's media, and returns its marker. */
async function addImage(
  request: VisionRequest,
  part: Extract<ChatContentPart, { type: "image" }>,
  field: string,
  limits: VisionRequestLimits,
): Promise<string> {
  const maxImages = limits.maxImages ?? 8;
  if (request.images.length >= maxImages)
    throw new InvalidInputError(`${field}: more than ${maxImages} images in one request`, {
      details: { field, reason: "too-many-images", maxImages },
    });
  const validated = validateImage(part.data, { ...limits, mimeType: part.mimeType, field });
  const image = DECODABLE.has(validated.mimeType)
    ? validated
    : await webpToPng(validated, limits.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels, field);
  request.media.push(toDataUrl(image.data, image.mimeType));
  request.images.push({
    mimeType: validated.mimeType,
    width: image.width,
    height: image.height,
    bytes: validated.data.length,
  });
  return MEDIA_MARKER;
}
