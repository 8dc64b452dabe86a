export {
  type EnsureSynthOptions,
  ensureSynthModel,
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
export { SynthError, type SynthOptions, type SynthResult, writeSynthModel } from "./synth.ts";
export { buildVocabulary, CONTROL_TOKENS } from "./tokenizer.ts";
