import { delimiter } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ConfigPath } from "./paths.ts";
import { setPath } from "./paths.ts";

/**
 * Short names for the settings people set most. Every other field is reachable
 * as `SLUICE_<SECTION>__<FIELD>[__<FIELD>…]`, each segment in UPPER_SNAKE case
 * (`SLUICE_LIMITS__RATE_LIMIT__BURST` → `limits.rateLimit.burst`).
 */
export const ENV_ALIASES: Readonly<Record<string, { path: ConfigPath; list?: "comma" | "paths" }>> = {
  SLUICE_HOST: { path: ["server", "host"] },
  SLUICE_PORT: { path: ["server", "port"] },
  SLUICE_PLAYGROUND_PORT: { path: ["server", "playgroundPort"] },
  SLUICE_MODEL: { path: ["models", "default"] },
  SLUICE_MODELS_DIR: { path: ["models", "dir"] },
  SLUICE_MODEL_DIRS: { path: ["models", "dirs"], list: "paths" },
  SLUICE_LOG_LEVEL: { path: ["telemetry", "logLevel"] },
  SLUICE_OTLP_ENDPOINT: { path: ["telemetry", "tracing", "otlpEndpoint"] },
  SLUICE_REDIS_URL: { path: ["cache", "redis", "url"] },
  SLUICE_AUDIT_DIR: { path: ["telemetry", "audit", "dir"] },
  // Names the server's environment already documents.
  SLUICE_RUNTIME: { path: ["runtime", "mode"] },
  SLUICE_CONTEXT_SIZE: { path: ["runtime", "contextSize"] },
  SLUICE_SEQUENCES: { path: ["runtime", "sequences"] },
  SLUICE_THREADS: { path: ["runtime", "threads"] },
  SLUICE_MAX_QUEUE: { path: ["limits", "maxQueueDepth"] },
  SLUICE_RATE_LIMIT_RPM: { path: ["limits", "rateLimit", "requestsPerMinute"] },
  SLUICE_RATE_LIMIT_BURST: { path: ["limits", "rateLimit", "burst"] },
  SLUICE_BODY_LIMIT_BYTES: { path: ["server", "maxBodyBytes"] },
  SLUICE_SHUTDOWN_DEADLINE_MS: { path: ["server", "shutdownGraceMs"] },
  SLUICE_CORS_ORIGINS: { path: ["server", "corsOrigins"], list: "comma" },
};

/** Variables that steer loading rather than set a field. */
export const ENV_CONTROL = ["SLUICE_ENV", "SLUICE_CONFIG", "SLUICE_CONFIG_DIR"] as const;

const camel = (segment: string) =>
  segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (segment: string) => segment.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/** Environment variable for a field path (generic form). */
export function envNameOf(path: readonly string[]): string {
  return `SLUICE_${path.map(snake).join("__")}`;
}

/**
 * Parses a variable's text as a YAML scalar or flow collection, so `8080` is a
 * number, `true` a boolean and `[a, b]` a list; anything else stays a string.
 */
function parseValue(text: string): unknown {
  try {
    const value: unknown = parseYaml(text);
    return value === null ? text : value;
  } catch {
    return text;
  }
}

/** Overrides from `SLUICE_*` variables, with the variable that set each field. */
export interface EnvOverrides {
  values: Record<string, unknown>;
  /** Field path (dotted) → variable name. */
  origins: Map<string, string>;
  /** `SLUICE_*` variables that name no field (likely typos); the caller should warn. */
  ignored: string[];
}

export function envOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverrides {
  const values: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const ignored: string[] = [];
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith("SLUICE_") || raw === undefined || raw === "") continue;
    if ((ENV_CONTROL as readonly string[]).includes(name)) continue;
    const alias = ENV_ALIASES[name];
    let path: ConfigPath;
    let value: unknown;
    if (alias) {
      path = alias.path;
      // Directories split on commas and the platform's path delimiter; URLs (CORS origins) only on commas.
      const separator = alias.list === "paths" ? new RegExp(`[,${delimiter}]`) : /,/;
      value = alias.list
        ? raw
            .split(separator)
            .map((s) => s.trim())
            .filter(Boolean)
        : parseValue(raw);
    } else if (name.includes("__")) {
      path = name.slice("SLUICE_".length).split("__").map(camel);
      value = parseValue(raw);
    } else {
      ignored.push(name);
      continue;
    }
    setPath(values, path, value);
    origins.set(path.join("."), name);
  }
  return { values, origins, ignored };
}
