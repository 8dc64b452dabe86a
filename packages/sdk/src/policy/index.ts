export {
  type DenyListOptions,
  denyListPolicy,
  luhnValid,
  type PiiKind,
  piiRedactionPolicy,
} from "./builtinPolicies.ts";
export { ContentPolicies } from "./ContentPolicies.ts";
export type {
  ContentPolicy,
  PolicyContext,
  PolicyListener,
  PolicyStage,
  PolicyVerdict,
} from "./ContentPolicy.ts";
