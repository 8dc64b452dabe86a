import type { Scope } from "@sluice/api";
import type { CacheOptions } from "@sluice/cache";
import { configInvalid, type LoadedConfig, loadConfig, type SluiceConfig } from "@sluice/config";
import { type ApiKeyEntry, parseApiKeys } from "./auth/ApiKeyStore.ts";
import type { ServerEnv } from "./env.ts";
import { installRoot } from "./paths.ts";

/** Flags of `sluice serve`; each overrides its config field and environment variable. */
export interface ServeFlags {
  host?: string;
  port?: number;
  model?: string;
  mmproj?: string;
  /** Explicit config file (`--config`). */
  config?: string;
}

/** Everything the server needs, resolved from the layered config and the server's own variables. */
export interface ServerSettings {
  loaded: LoadedConfig;
  config: SluiceConfig;
  /** The model asked for by a flag or a variable: served as given. */
  requestedModel: string | undefined;
  /** The model a config file (or the built-in default) names: served when available, else the synthetic fallback. */
  preferredModel: string;
  keys: ApiKeyEntry[];
  /** The per-caller token bucket, only when `limits.rateLimit.enabled`. */
  rateLimit: { perMinute: number; burst: number } | undefined;
  redisUrl: string | undefined;
  corsOrigins: string[];
  cache: CacheOptions | false;
  offline: boolean;
  mmproj: string | undefined;
}

/** The environment as strings, the form the config loader reads. */
function asStrings(env: ServerEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && k.startsWith("SLUICE_")) out[k] = String(v);
  return out;
}

/** `embed` (a config scope) is part of what the HTTP API calls `infer`. */
function httpScopes(scopes: readonly string[]): Scope[] {
  const out = new Set<Scope>();
  for (const s of scopes) out.add(s === "admin" ? "admin" : "infer");
  return [...out];
}

/**
 * Loads the layered config (defaults → config files → `SLUICE_*` → flags)
 * and adds the server's own variables (`SLUICE_API_KEYS`, `SLUICE_OFFLINE`).
 *
 * @throws ConfigInvalidError listing every bad field.
 */
export function resolveSettings(env: ServerEnv, flags: ServeFlags = {}): ServerSettings {
  const loaded = loadConfig({
    env: asStrings(env),
    cwd: installRoot(),
    ...(flags.config ? { configFile: flags.config } : {}),
    overrides: {
      ...(flags.host || flags.port !== undefined
        ? {
            server: {
              ...(flags.host ? { host: flags.host } : {}),
              ...(flags.port !== undefined ? { port: flags.port } : {}),
            },
          }
        : {}),
      ...(flags.model ? { models: { default: flags.model } } : {}),
    },
  });
  const config = loaded.config;
  const keys = [
    ...config.auth.keys.map((k) => ({ id: k.id, sha256: k.sha256, scopes: httpScopes(k.scopes) })),
    ...parseApiKeys(env.SLUICE_API_KEYS),
  ];
  // One mechanism: keys from the config and from SLUICE_API_KEYS together decide
  // whether auth is on; `auth.enabled` only insists that there is at least one.
  if (config.auth.enabled && keys.length === 0)
    throw configInvalid([
      {
        path: "auth.keys",
        expected: "at least one key (auth.keys or SLUICE_API_KEYS) when auth.enabled is true",
        message: "no API key configured",
        ...(loaded.sources.get("auth.enabled") ? { source: loaded.sources.get("auth.enabled") } : {}),
      },
    ]);
  const rl = config.limits.rateLimit;
  const playground = config.server.playgroundPort;
  const cache: CacheOptions | false = config.cache.enabled
    ? {
        memory: { maxEntries: config.cache.memory.maxEntries, maxBytes: config.cache.memory.maxBytes },
        ...(config.cache.persistent.enabled
          ? {
              persistent: {
                path: config.cache.persistent.path,
                maxBytes: config.cache.persistent.maxBytes,
                keys: config.cache.persistent.keys.map((k) => ({ id: k.id, key: k.key })),
                activeKeyId: config.cache.persistent.activeKeyId ?? config.cache.persistent.keys[0]?.id ?? "",
              },
            }
          : {}),
        // The shared tier encrypts with the persistent tier's keys; without keys it stays off.
        ...(config.cache.redis.url && config.cache.persistent.keys.length > 0
          ? {
              redis: {
                url: config.cache.redis.url,
                keyPrefix: config.cache.redis.keyPrefix,
                timeoutMs: config.cache.redis.timeoutMs,
                keys: config.cache.persistent.keys.map((k) => ({ id: k.id, key: k.key })),
                activeKeyId: config.cache.persistent.activeKeyId ?? config.cache.persistent.keys[0]?.id ?? "",
              },
            }
          : {}),
      }
    : false;
  return {
    loaded,
    config,
    requestedModel: explicitModel(loaded) ? config.models.default : undefined,
    preferredModel: config.models.default,
    keys,
    rateLimit: rl.enabled ? { perMinute: rl.requestsPerMinute, burst: rl.burst } : undefined,
    redisUrl: config.cache.redis.url,
    corsOrigins:
      config.server.corsOrigins.length > 0
        ? config.server.corsOrigins
        : [`http://127.0.0.1:${playground}`, `http://localhost:${playground}`],
    cache,
    offline: env.SLUICE_OFFLINE === "1" || env.SLUICE_OFFLINE === "true" || !config.models.allowDownload,
    mmproj: flags.mmproj ?? env.SLUICE_MMPROJ,
  };
}

/** The config without secrets, for `system.config` and logs. */
export function redactedConfig(config: SluiceConfig): Record<string, unknown> {
  const redisUrl = config.cache.redis.url;
  return {
    ...config,
    auth: {
      ...config.auth,
      keys: config.auth.keys.map((k) => ({ id: k.id, scopes: k.scopes, sha256: "[redacted]" })),
    },
    cache: {
      ...config.cache,
      persistent: {
        ...config.cache.persistent,
        keys: config.cache.persistent.keys.map((k) => ({ id: k.id, key: "[redacted]" })),
      },
      redis: {
        ...config.cache.redis,
        ...(redisUrl ? { url: redisUrl.replace(/\/\/[^@/]*@/, "//[redacted]@") } : {}),
      },
    },
    telemetry: {
      ...config.telemetry,
      audit: {
        ...config.telemetry.audit,
        hmacKeys: config.telemetry.audit.hmacKeys.map((k) => ({ id: k.id, key: "[redacted]" })),
      },
    },
  };
}

/** True when `models.default` came from a variable or a flag rather than a file or the built-in default. */
function explicitModel(loaded: LoadedConfig): boolean {
  const source = loaded.sources.get("models.default");
  return source === "cli" || (source?.startsWith("SLUICE_") ?? false);
}
