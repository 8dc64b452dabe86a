import { isSpanContextValid, trace } from "@opentelemetry/api";
import pino, { type DestinationStream, type Level, type Logger } from "pino";
import { redactOptions } from "./redaction.ts";
import { currentRequest } from "./requestContext.ts";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level. Defaults to `"info"`. */
  level?: Level | "silent";
  /**
   * Log prompts, messages and outputs instead of redacting them. Only for
   * debugging with data you may keep. Defaults to `false`.
   */
  logContent?: boolean;
  /** Where lines go. Defaults to stdout. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ service: "sluice" }`. Defaults to `{ service: "sluice" }`. */
  base?: Record<string, unknown>;
}

/**
 * pino JSON logger. Every line carries `requestId` (inside a request context)
 * and `traceId`/`spanId` (inside an active span), read at write time so
 * child loggers created before the request still correlate.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { service: "sluice" },
      redact: redactOptions(options.logContent ?? false),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlationFields,
    },
    options.destination,
  );
}

function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const request = currentRequest();
  if (request) {
    fields.requestId = request.requestId;
    if (request.principal) fields.principal = request.principal;
  }
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}
