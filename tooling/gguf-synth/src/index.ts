export {
  type EnsureSynthOptions,
  type EnsureSynthVisionOptions,
  ensureSynthModel,
  ensureSynthVisionModel,
  findModelFixture,
  requireModelFixture,
  synthFileName,
  workspaceRoot,
} from "./fixtures.ts";
export { GgmlType, type MetaValue, type TensorInfo } from "./ggufWriter.ts";
export {
  isPresetName,
  type ModelPlan,
  type Pooling,
  PRESET_NAMES,
  PRESETS,
  type PresetName,
  planModel,
  type WeightType,
} from "./presets.ts";
export {
  SynthError,
  type SynthOptions,
  type SynthResult,
  writePlannedModel,
  writeSynthModel,
} from "./synth.ts";
export { encodeJpeg, encodePng, jpegSegment, testPattern } from "./testImages.ts";
export { buildVocabulary, CONTROL_TOKENS } from "./tokenizer.ts";
export {
  isVisionPresetName,
  LFM2_VL_CONTROL_TOKENS,
  mmprojPathFor,
  type ProjectorPlanOptions,
  planProjector,
  VISION_PRESET_NAMES,
  VISION_PRESETS,
  type VisionPresetName,
  type VisionSynthOptions,
  type VisionSynthResult,
  writeSynthVisionModel,
} from "./vision.ts";
