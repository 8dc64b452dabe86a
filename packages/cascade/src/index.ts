export {
  Cascade,
  type CascadeOptions,
  type CascadeRequestOptions,
  type CascadeResponse,
} from "./Cascade.ts";
export { cascadeFailure, type FailedTier } from "./cascadeFailure.ts";
export { checkTier, type SkipVerdict } from "./checkTier.ts";
export {
  type ArmConfig,
  armConfigSchema,
  type CascadeConfig,
  type CascadeConfigInput,
  type ConfidenceConfig,
  cascadeConfigSchema,
  confidenceConfigSchema,
  type ExperimentConfig,
  experimentConfigSchema,
  parseCascadeConfig,
  type TierConfig,
  tierConfigSchema,
} from "./config.ts";
export {
  type ArmComparison,
  type ArmOutcome,
  type ArmStats,
  Experiment,
  type ExperimentOptions,
  type ExperimentSummary,
  type WeightsSource,
} from "./Experiment.ts";
export type { CascadeEvent, CascadeListener } from "./events.ts";
export { fallsBack } from "./fallsBack.ts";
export { type AnswerConfidence, compressionRatio, scoreAnswer, trailingLoopFraction } from "./scoreAnswer.ts";
export { stableUnitHash } from "./stableHash.ts";
export {
  normalCdf,
  RunningStats,
  studentTwoSidedP,
  type TestResult,
  twoProportionZTest,
  welchTTest,
} from "./statistics.ts";
export type { BreakerState, TierAnswer, TierBackend, TierCallOptions, TierHealth } from "./TierBackend.ts";
export type { AttemptRecord, DecisionTrace, SkipReason, TierDecision } from "./trace.ts";
