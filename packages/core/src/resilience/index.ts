export { type BreakerState, ModelPolicy, type ModelPolicyOptions, withTimeout } from "./ModelPolicy.ts";
export {
  BREAKER_FAILURE_CODES,
  isBreakerFailure,
  isRetriedError,
  mapPolicyError,
} from "./mapPolicyError.ts";
