export { checkVisionPair, type VisionPairInfo } from "./checkVisionPair.ts";
export {
  createVisionRunnerEngineFactory,
  type VisionRunnerEngineFactoryOptions,
  visionEngineModuleUrl,
} from "./createVisionRunnerEngineFactory.ts";
export { findProjector } from "./findProjector.ts";
export { decodeImageDataUrl, imagePart, readImageFile, toDataUrl } from "./imageSources.ts";
export { type ImageFormat, sniffImageFormat } from "./imageStructure.ts";
export { VisionEngine } from "./VisionEngine.ts";
export {
  VISION_LOAD_DEFAULTS,
  VisionEngineFactory,
  type VisionEngineFactoryOptions,
} from "./VisionEngineFactory.ts";
export {
  DEFAULT_IMAGE_LIMITS,
  type ImageLimits,
  type ImageMimeType,
  type ImageRejection,
  type ValidatedImage,
  type ValidateImageOptions,
  validateImage,
} from "./validateImage.ts";
export { MEDIA_MARKER, type VisionRequestLimits } from "./visionPrompt.ts";
