import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { AuditLog, type AuditLogOptions } from "./audit/AuditLog.ts";
import { createLogger, type LoggerOptions } from "./log/createLogger.ts";
import { currentRequest } from "./log/requestContext.ts";
import { MetricsRecorder } from "./metrics/MetricsRecorder.ts";
import { type CreateMetricsOptions, createMetrics, type SluiceMetrics } from "./metrics/SluiceMetrics.ts";
import {
  type CreateRegistryOptions,
  createRegistry,
  type RenderedMetrics,
  renderMetrics,
} from "./registry.ts";
import { createTracing, type Tracing, type TracingOptions } from "./trace/createTracing.ts";

/** Options of {@link createTelemetry}; each part has its own defaults. */
export interface TelemetryOptions {
  metrics?: CreateRegistryOptions & CreateMetricsOptions;
  log?: LoggerOptions;
  tracing?: TracingOptions;
  /**
   * Audit log location, keys and rotation. With it, each inference is also
   * audited as `model.access` (caller's key id, model, token counts; never the
   * text). Defaults to none: `audit` is then `undefined`.
   */
  audit?: AuditLogOptions;
}

/** Metrics, logs, traces and audit log of one Sluice instance. */
export interface Telemetry {
  readonly registry: Registry;
  readonly metrics: SluiceMetrics;
  /** Event-shaped helpers over `metrics`. */
  readonly record: MetricsRecorder;
  readonly logger: Logger;
  readonly tracing: Tracing;
  /** Shortcut for `tracing.withSpan`. */
  readonly withSpan: Tracing["withSpan"];
  readonly audit: AuditLog | undefined;
  /** The `/metrics` body of this instance. */
  renderMetrics(): Promise<RenderedMetrics>;
  /** Flushes spans and audit appends; safe twice. */
  shutdown(): Promise<void>;
}

/** Builds the telemetry of one Sluice instance. Nothing here is process-global but the OTel context manager. */
export async function createTelemetry(options: TelemetryOptions = {}): Promise<Telemetry> {
  const registry = createRegistry(options.metrics);
  const metrics = createMetrics(registry, options.metrics);
  const tracing = createTracing(options.tracing);
  const audit = options.audit ? await AuditLog.open(options.audit) : undefined;
  let shutdown: Promise<void> | undefined;
  const record = new MetricsRecorder(metrics);
  if (audit) auditModelAccess(record, audit);
  return {
    registry,
    metrics,
    record,
    logger: createLogger(options.log),
    tracing,
    withSpan: tracing.withSpan,
    audit,
    renderMetrics: () => renderMetrics(registry),
    shutdown: () => {
      shutdown ??= Promise.all([tracing.shutdown(), audit?.close()]).then(() => undefined);
      return shutdown;
    },
  };
}

/** Model access → audit: who (key id of the request context) used which model, and how many tokens. */
function auditModelAccess(record: MetricsRecorder, audit: AuditLog): void {
  record.onTokens((e) => {
    const request = currentRequest();
    void audit
      .append({
        action: "model.access",
        actor: request?.principal ?? "anonymous",
        target: e.model,
        outcome: "success",
        details: { promptTokens: e.promptTokens, generatedTokens: e.generatedTokens },
        ...(request ? { requestId: request.requestId } : {}),
      })
      .catch(() => undefined);
  });
}
