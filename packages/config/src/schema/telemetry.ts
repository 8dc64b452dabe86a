import { z } from "zod";
import { bytes, int, ratio, section } from "./fields.ts";

const auditKeySchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 letters, digits, `.`, `_` or `-`")
      .describe("Key id written beside each entry, so keys can rotate and verification finds the key."),
    key: z
      .string()
      .min(16)
      .describe(
        "HMAC-sha256 secret (32 random bytes or more). Set it from the environment, not a file in git.",
      ),
  })
  .describe("An HMAC key of the audit chain.");

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
        hmacKeys: z
          .array(auditKeySchema)
          .default([])
          .describe(
            "Keys of the HMAC chain; without one the chain is plain sha256, tamper-evident against accidents only (the server warns). Defaults to `[]`.",
          ),
        activeKeyId: z
          .string()
          .optional()
          .describe(
            "Key new entries are chained under; a change is recorded in the chain. Defaults to the first key.",
          ),
        maxTotalBytes: bytes()
          .min(4096)
          .default(1_073_741_824)
          .describe(
            "Most bytes one server process's audit files keep; the oldest go first and the cut is recorded in the chain. Defaults to `1073741824` (1 GiB).",
          ),
        maxAgeDays: int(0, 36_500)
          .default(0)
          .describe("Remove audit files last written longer ago than this; `0` keeps them. Defaults to `0`."),
        authFailuresPerMinute: int(0, 100_000)
          .default(20)
          .describe(
            "Authentication failures written one by one per client address and minute; the rest are counted into one summary entry. Defaults to `20`.",
          ),
      },
      "Hash-chained audit log (one series of files per server process).",
    ),
  },
  "Logs, metrics, traces and audit log.",
);
export type TelemetryConfig = z.infer<typeof telemetrySchema>;
