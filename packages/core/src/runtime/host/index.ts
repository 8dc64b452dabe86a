export {
  createRuntime,
  type RequestEndEvent,
  type RequestOptions,
  type Runtime,
  type RuntimeOptions,
} from "./createRuntime.ts";
export { linkSignals } from "./linkSignals.ts";
export { ModelHost, type ModelHostOptions } from "./ModelHost.ts";
export { ModelLease } from "./ModelLease.ts";
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
