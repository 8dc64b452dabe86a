import { type Attributes, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { ensureContextManager } from "./AsyncContextManager.ts";
import type { TraceStage } from "./stages.ts";

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** `service.name` resource attribute. Defaults to `"sluice"`. */
  serviceName?: string;
  /**
   * OTLP/HTTP traces endpoint, e.g. `http://collector:4318/v1/traces`. When
   * unset no spans leave the process. Defaults to unset.
   */
  otlpEndpoint?: string;
  /** Extra headers for the OTLP exporter (e.g. an auth token). Defaults to none. */
  otlpHeaders?: Record<string, string>;
  /**
   * An exporter to use as well, exported span by span; tests pass an
   * `InMemorySpanExporter`. Defaults to none.
   */
  exporter?: SpanExporter;
  /** Share of new traces recorded (child spans follow their parent's decision). Defaults to `1`. */
  sampleRatio?: number;
}

/** Runs `fn` inside a span named `sluice.<stage>`; see {@link Tracing.withSpan}. */
export type WithSpan = <T>(
  stage: TraceStage,
  fn: (span: Span) => T | Promise<T>,
  attributes?: Attributes,
) => Promise<T>;

/** The tracer of one Sluice instance and its lifecycle. */
export interface Tracing {
  readonly tracer: Tracer;
  /**
   * Runs `fn` in a child span of the active one. The span ends when `fn`
   * settles; a throw records the exception, sets status ERROR and the error's
   * `code` (if any) as `sluice.error_code`, then rethrows.
   */
  readonly withSpan: WithSpan;
  /** Exports pending spans. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting; safe twice. */
  shutdown(): Promise<void>;
}

/** Builds a tracer provider owned by this instance (not registered globally). */
export function createTracing(options: TracingOptions = {}): Tracing {
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`sampleRatio must be within 0..1, got ${ratio}`);
  ensureContextManager();
  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    const otlp = new OTLPTraceExporter({ url: options.otlpEndpoint, headers: options.otlpHeaders ?? {} });
    spanProcessors.push(new BatchSpanProcessor(otlp));
  }
  if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? "sluice" }),
    spanProcessors,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
  });
  const tracer = provider.getTracer("@sluice/telemetry");
  let shutdown: Promise<void> | undefined;

  const withSpan: WithSpan = (stage, fn, attributes) =>
    tracer.startActiveSpan(
      `sluice.${stage}`,
      { attributes: { "sluice.stage": stage, ...attributes } },
      async (span) => {
        try {
          return await fn(span);
        } catch (error) {
          recordError(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );

  return {
    tracer,
    withSpan,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => {
      shutdown ??= provider.shutdown();
      return shutdown;
    },
  };
}

function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") span.setAttribute("sluice.error_code", code);
}
