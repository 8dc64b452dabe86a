import { z } from "zod";
import { bytes, ratio, section } from "./fields.ts";

export const telemetrySchema = section(
  {
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info")
      .describe("Minimum log level. Runtime-safe. Defaults to `info`."),
    metrics: section(
      {
        enabled: z.boolean().default(true).describe("Serve Prometheus metrics. Defaults to `true`."),
        path: z
          .string()
          .startsWith("/")
          .default("/metrics")
          .describe("Route of the metrics. Defaults to `/metrics`."),
        processMetrics: z
          .boolean()
          .default(true)
          .describe("Include Node process metrics. Defaults to `true`."),
      },
      "Prometheus metrics.",
    ),
    latencyTargetsMs: z
      .record(z.string().min(1), z.number().positive())
      .default({ chat: 10_000, completion: 10_000, embed: 2_000 })
      .describe(
        "p95 latency target per operation, published for the alert rules. Runtime-safe. Defaults to `{ chat: 10000, completion: 10000, embed: 2000 }`.",
      ),
    tracing: section(
      {
        otlpEndpoint: z
          .url()
          .optional()
          .describe(
            "OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`. Defaults to unset (no export).",
          ),
        serviceName: z
          .string()
          .min(1)
          .default("sluice")
          .describe("`service.name` of spans. Defaults to `sluice`."),
        sampleRatio: ratio().default(1).describe("Share of traces recorded. Defaults to `1`."),
      },
      "OpenTelemetry tracing.",
    ),
    audit: section(
      {
        enabled: z
          .boolean()
          .default(true)
          .describe("Write the audit log of admin and model operations. Defaults to `true`."),
        dir: z
          .string()
          .min(1)
          .default(".sluice/audit")
          .describe("Directory of the audit files. Defaults to `.sluice/audit`."),
        maxFileBytes: bytes()
          .min(1024)
          .default(10_485_760)
          .describe("Size at which a new audit file starts. Defaults to `10485760` (10 MiB)."),
      },
      "Hash-chained audit log.",
    ),
  },
  "Logs, metrics, traces and audit log.",
);
export type TelemetryConfig = z.infer<typeof telemetrySchema>;
