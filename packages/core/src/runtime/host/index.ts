export { linkSignals } from "./linkSignals.ts";
export { ModelHost, type ModelHostOptions } from "./ModelHost.ts";
export { ModelLease } from "./ModelLease.ts";
export {
  type DispatchEvent,
  type EmbedOutput,
  type RequestEndEvent,
  type RequestOptions,
  Runtime,
  type RuntimeOptions,
  type RuntimeStage,
  type RuntimeTrace,
} from "./Runtime.ts";
export type {
  AdmissionGrant,
  AdmissionRequest,
  Admit,
  ModelHealth,
  ModelLoadOptions,
  ModelResolver,
  ModelStateEvent,
  ModelStatus,
} from "./types.ts";
