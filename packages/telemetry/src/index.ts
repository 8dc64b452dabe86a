export { AuditLog, type AuditLogOptions } from "./audit/AuditLog.ts";
export {
  type AuditAction,
  type AuditEntry,
  type AuditEvent,
  canonicalJson,
  digestEntry,
  GENESIS_HASH,
} from "./audit/entry.ts";
export { processSeriesName } from "./audit/files.ts";
export { type AuditHmacKey, type AuditKeyring, parseKeyFile } from "./audit/keys.ts";
export type { AuditRetention } from "./audit/retention.ts";
export {
  type AuditProblem,
  type AuditProblemKind,
  type AuditSeriesResult,
  type AuditVerifyResult,
  type VerifyAuditLogOptions,
  verifyAuditLog,
} from "./audit/verifyAuditLog.ts";
export { createTelemetry, type Telemetry, type TelemetryOptions } from "./createTelemetry.ts";
export { createLogger, type LoggerOptions } from "./log/createLogger.ts";
export { redactOptions } from "./log/redaction.ts";
export {
  currentRequest,
  isWellFormedRequestId,
  REQUEST_ID_PATTERN,
  type RequestContext,
  requestIdFrom,
  runWithRequestContext,
} from "./log/requestContext.ts";
export { LATENCY_BUCKETS_SECONDS } from "./metrics/buckets.ts";
export { MetricsRecorder, type RequestFinishedEvent, type TokensEvent } from "./metrics/MetricsRecorder.ts";
export { outcomeOf, type RequestOutcome } from "./metrics/outcome.ts";
export {
  type BreakerState,
  BreakerStateValue,
  type CreateMetricsOptions,
  createMetrics,
  type RedisClientName,
  type SluiceMetrics,
} from "./metrics/SluiceMetrics.ts";
export {
  type CreateRegistryOptions,
  createRegistry,
  type RenderedMetrics,
  renderMetrics,
} from "./registry.ts";
export { AsyncContextManager, ensureContextManager } from "./trace/AsyncContextManager.ts";
export { createTracing, type Tracing, type TracingOptions, type WithSpan } from "./trace/createTracing.ts";
export { TRACE_STAGES, type TraceStage } from "./trace/stages.ts";
