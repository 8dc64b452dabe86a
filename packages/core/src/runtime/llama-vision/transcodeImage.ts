import { InvalidInputError } from "../../errors/index.ts";
import type { ValidatedImage } from "./validateImage.ts";

type Sharp = typeof import("sharp")["default"];
// Loaded on first use: only vision runners that meet a WebP image pay for libvips.
let sharp: Promise<Sharp> | undefined;

/**
 * Re-encodes a validated WebP image as PNG, the binding's decoder (stb_image)
 * reading PNG and JPEG only. Runs in the vision runner, where a decoder fault
 * costs a runner, not the host. The pixel limit is enforced by the decoder
 * too, so a header that lied about its size cannot make it allocate more.
 */
export async function webpToPng(
  image: ValidatedImage,
  maxPixels: number,
  field: string,
): Promise<ValidatedImage> {
  sharp ??= import("sharp").then((m) => m.default);
  const decode = await sharp;
  try {
    const { data, info } = await decode(image.data, {
      limitInputPixels: maxPixels,
      failOn: "error",
      animated: false,
    })
      .png({ compressionLevel: 1 })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      mimeType: "image/png",
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    throw new InvalidInputError(`${field}: corrupt webp: ${(error as Error).message}`, {
      cause: error,
      details: { field, reason: "corrupt" },
    });
  }
}
