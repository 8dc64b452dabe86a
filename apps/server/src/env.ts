import { z } from "zod";

// The only file of the server that reads process.env: everything else gets
// typed options. Unknown variables are ignored; known ones are validated.

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().min(1);

export const envSchema = z.looseObject({
  /** Interface the API binds to. Defaults to `127.0.0.1`. */
  SLUICE_HOST: z.string().min(1).optional(),
  /** API port. Defaults to `8080`. */
  SLUICE_PORT: port.optional(),
  /** Default model: catalog id, GGUF path, URI, or a synthetic preset (`lfm2-tiny`). Defaults to the catalog's default, else `lfm2-tiny`. */
  SLUICE_MODEL: z.string().min(1).optional(),
  /** Multimodal projector for a vision model. */
  SLUICE_MMPROJ: z.string().min(1).optional(),
  /** Playground port (for the start-up banner and CORS). Defaults to `3000`. */
  SLUICE_PLAYGROUND_PORT: port.optional(),
  /** Origins allowed by CORS, comma-separated. Defaults to the playground's origins. */
  SLUICE_CORS_ORIGINS: z.string().optional(),
  /**
   * API keys, comma-separated `name:scopes:secret` where scopes is `infer`,
   * `admin` or `infer+admin`, and secret is the key or `sha256:<hex>` of it.
   */
  SLUICE_API_KEYS: z.string().optional(),
  /** Redis URL for shared rate limits. */
  SLUICE_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//)
    .optional(),
  /** Requests per minute per key; `0` disables rate limiting. Defaults to `600`. */
  SLUICE_RATE_LIMIT_RPM: z.coerce.number().int().min(0).optional(),
  /** Burst size of the token bucket. Defaults to `60`. */
  SLUICE_RATE_LIMIT_BURST: positive.optional(),
  /** Largest accepted request body in bytes. Defaults to `2097152`. */
  SLUICE_BODY_LIMIT_BYTES: positive.optional(),
  /** Extra model directories, `:`-separated. */
  SLUICE_MODEL_DIRS: z.string().optional(),
  /** Directory of downloaded models. Defaults to `models/` in the server's install root (see installRoot). */
  SLUICE_MODELS_DIR: z.string().optional(),
  /** `in-process` or `runner`. Defaults to `in-process`. */
  SLUICE_RUNTIME: z.enum(["in-process", "runner"]).optional(),
  SLUICE_CONTEXT_SIZE: positive.optional(),
  SLUICE_SEQUENCES: positive.optional(),
  SLUICE_THREADS: positive.optional(),
  /** Requests waiting per model beyond running ones. Defaults to `64`. */
  SLUICE_MAX_QUEUE: z.coerce.number().int().min(0).optional(),
  /** Time in-flight requests get after SIGTERM. Defaults to `30000`. */
  SLUICE_SHUTDOWN_DEADLINE_MS: positive.optional(),
  SLUICE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  /** Audit log directory; unset = no audit log. */
  SLUICE_AUDIT_DIR: z.string().optional(),
  /** Skip downloading the catalog default model (offline machines). */
  SLUICE_OFFLINE: z.enum(["0", "1", "true", "false"]).optional(),
  SLUICE_CONFIG: z.string().optional(),
  /** Where the synthetic fallback model is generated. Defaults to `.sluice/synth` in the server's install root. */
  SLUICE_SYNTH_DIR: z.string().min(1).optional(),
  /** Server the client commands (`ps`, `run`, `models ls`) talk to. Defaults to `http://127.0.0.1:<SLUICE_PORT or 8080>`. */
  SLUICE_URL: z.url().optional(),
  /** API key the client commands send, when the server has keys. */
  SLUICE_API_KEY: z.string().min(1).optional(),
  SLUICE_ENV: z.string().optional(),
});
export type ServerEnv = z.infer<typeof envSchema>;

/** Parses the process environment; a bad value exits with its variable name. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  throw new RangeError(`invalid environment:\n${lines.join("\n")}`);
}

/** The raw environment, for packages (config) that take it as an explicit input. */
export function rawEnv(): NodeJS.ProcessEnv {
  return process.env;
}
