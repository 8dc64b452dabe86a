export { EMBED_BATCH_SEQUENCES, type Embedder, supportsBatchEmbedding } from "./embedders.ts";
export {
  cpuFeaturesOf,
  type DescribeHardwareOptions,
  describeHardware,
  type HardwareReport,
} from "./hardware.ts";
export { LlamaEngine, type LlamaEngineParts } from "./LlamaEngine.ts";
export {
  autoThreads,
  LlamaEngineFactory,
  type LlamaEngineFactoryOptions,
  LOAD_DEFAULTS,
} from "./LlamaEngineFactory.ts";
export { guardOutputReorder, isOutputReorderGuarded } from "./outputReorderGuard.ts";
export { abortReason, ResourcePool } from "./ResourcePool.ts";
export { type GpuSetting, getSharedLlama, type SharedLlamaOptions } from "./sharedLlama.ts";
export { TextStreamer } from "./TextStreamer.ts";
