import { ConfigInvalidError } from "@sluice/core/errors";
import { z } from "zod";

// The only file of the server that reads process.env: everything else gets
// typed options. Unknown variables are ignored; known ones are validated.

// A variable that sets a config field (see ENV_ALIASES in @sluice/config) is
// handed to the config loader as text and validated there against the schema,
// so every shortcut accepts exactly what the file accepts (`SLUICE_THREADS=auto`)
// and an error names the variable. Numbers are allowed for tests that build an
// environment by hand.
const field = z.union([z.string(), z.number()]).optional();

export const envSchema = z.looseObject({
  /** Interface the API binds to (`server.host`). */
  SLUICE_HOST: field,
  /** API port (`server.port`). */
  SLUICE_PORT: field,
  /** Default model (`models.default`): catalog id, GGUF path, URI, or a synthetic preset (`lfm2-tiny`). */
  SLUICE_MODEL: field,
  /** Multimodal projector for a vision model. */
  SLUICE_MMPROJ: z.string().min(1).optional(),
  /** Playground port (`server.playgroundPort`). */
  SLUICE_PLAYGROUND_PORT: field,
  /** Origins allowed by CORS, comma-separated (`server.corsOrigins`). */
  SLUICE_CORS_ORIGINS: field,
  /**
   * API keys, comma-separated `name:scopes:secret` where scopes is `infer`,
   * `admin` or `infer+admin`, and secret is the key or `sha256:<hex>` of it.
   * Merged with `auth.keys` of the config.
   */
  SLUICE_API_KEYS: z.string().optional(),
  /** Redis URL (`cache.redis.url`). */
  SLUICE_REDIS_URL: field,
  /** Requests per minute per caller (`limits.rateLimit.requestsPerMinute`). */
  SLUICE_RATE_LIMIT_RPM: field,
  /** Burst size of the token bucket (`limits.rateLimit.burst`). */
  SLUICE_RATE_LIMIT_BURST: field,
  /** Largest accepted request body in bytes (`server.maxBodyBytes`). */
  SLUICE_BODY_LIMIT_BYTES: field,
  /** Extra model directories, `:`-separated (`models.dirs`). */
  SLUICE_MODEL_DIRS: z.string().optional(),
  /** Directory of downloaded models (`models.dir`; default `models/` in the server's install root). */
  SLUICE_MODELS_DIR: z.string().optional(),
  /** `in-process` or `runner` (`runtime.mode`). */
  SLUICE_RUNTIME: field,
  /** `runtime.contextSize`. */
  SLUICE_CONTEXT_SIZE: field,
  /** `runtime.sequences`. */
  SLUICE_SEQUENCES: field,
  /** `runtime.threads`: a number or `auto`. */
  SLUICE_THREADS: field,
  /** Requests waiting per model beyond running ones (`limits.maxQueueDepth`). */
  SLUICE_MAX_QUEUE: field,
  /** Time in-flight requests get after SIGTERM (`server.shutdownGraceMs`). */
  SLUICE_SHUTDOWN_DEADLINE_MS: field,
  /** `telemetry.logLevel`. */
  SLUICE_LOG_LEVEL: field,
  /** Audit log directory (`telemetry.audit.dir`). */
  SLUICE_AUDIT_DIR: field,
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

/**
 * Parses the process environment.
 *
 * @throws ConfigInvalidError naming each bad variable.
 */
export function readEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  throw new ConfigInvalidError(`invalid environment:\n${lines.join("\n")}`, {
    details: {
      problems: result.error.issues.map((i) => ({ variable: i.path.join("."), message: i.message })),
    },
  });
}

/** The raw environment, for packages (config) that take it as an explicit input. */
export function rawEnv(): NodeJS.ProcessEnv {
  return process.env;
}
