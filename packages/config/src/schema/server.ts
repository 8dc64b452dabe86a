import { z } from "zod";
import { bytes, int, ms, section } from "./fields.ts";

export const serverSchema = section(
  {
    host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe("Interface the HTTP server binds. Defaults to `127.0.0.1`."),
    port: int(0, 65535)
      .default(8080)
      .describe("Port of the HTTP API (/v1, /trpc, /metrics). Defaults to `8080`."),
    playgroundPort: int(0, 65535).default(3000).describe("Port of the web playground. Defaults to `3000`."),
    maxBodyBytes: bytes()
      .default(2_097_152)
      .describe(
        "Largest request body accepted; larger bodies get INVALID_INPUT. Defaults to `2097152` (2 MiB).",
      ),
    shutdownGraceMs: ms()
      .default(30_000)
      .describe("How long a graceful shutdown lets in-flight requests finish. Defaults to `30000`."),
    corsOrigins: z
      .array(z.string().min(1))
      .default([])
      .describe("Origins allowed by CORS (e.g. the playground's URL). Defaults to `[]` (none)."),
  },
  "HTTP server.",
);
export type ServerConfig = z.infer<typeof serverSchema>;
