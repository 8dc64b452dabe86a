import { isIP } from "node:net";
import { delimiter, join } from "node:path";
import { createModelStore, type ModelStore } from "@sluice/core";
import { workspaceRoot } from "@sluice/gguf-synth";
import { createSluice, type Sluice } from "@sluice/sdk";
import { createTelemetry } from "@sluice/telemetry";
import { ApiKeyStore, parseApiKeys } from "./auth/ApiKeyStore.ts";
import type { RateLimiter } from "./auth/RateLimiter.ts";
import { MemoryRateLimiter } from "./auth/RateLimiter.ts";
import { RedisRateLimiter } from "./auth/RedisRateLimiter.ts";
import { type ChosenModel, chooseDefaultModel, SYNTHETIC_NOTICE } from "./defaultModel.ts";
import type { ServerEnv } from "./env.ts";
import { SluiceHttpServer } from "./http/SluiceHttpServer.ts";

/** Flags of `sluice serve`; each overrides its environment variable. */
export interface ServeFlags {
  host?: string;
  port?: number;
  model?: string;
  mmproj?: string;
}

/** A started server. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  model: ChosenModel;
  http: SluiceHttpServer;
  sluice: Sluice;
  /** Graceful stop (see SluiceHttpServer.shutdown). */
  shutdown(deadlineMs?: number): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/**
 * Builds everything from the environment and flags and starts listening. With
 * no API keys configured the server binds to 127.0.0.1 whatever was asked,
 * because it would otherwise serve anyone on the network.
 */
export async function startServer(
  env: ServerEnv,
  flags: ServeFlags = {},
  print: (line: string) => void = console.log,
): Promise<RunningServer> {
  const keys = new ApiKeyStore(parseApiKeys(env.SLUICE_API_KEYS));
  let host = flags.host ?? env.SLUICE_HOST ?? "127.0.0.1";
  if (!keys.enabled && !isLoopback(host)) {
    print(`sluice: no API keys configured (SLUICE_API_KEYS): binding 127.0.0.1 instead of ${host}`);
    host = "127.0.0.1";
  }
  const port = flags.port ?? env.SLUICE_PORT ?? 8080;
  const telemetry = await createTelemetry({
    log: { level: env.SLUICE_LOG_LEVEL ?? "info" },
    ...(env.SLUICE_AUDIT_DIR ? { audit: { dir: env.SLUICE_AUDIT_DIR } } : {}),
  });
  const modelsDir = env.SLUICE_MODELS_DIR ?? join(workspaceRoot(), "models");
  const dirs = [modelsDir, ...(env.SLUICE_MODEL_DIRS ?? "").split(delimiter).filter(Boolean)];
  const store = createModelStore({ modelsDir, extraDirs: dirs.slice(1) });
  const offline = env.SLUICE_OFFLINE === "1" || env.SLUICE_OFFLINE === "true";
  const model = await chooseDefaultModel({
    requested: flags.model ?? env.SLUICE_MODEL,
    dirs,
    ...(offline ? {} : { download: (id) => downloadWithProgress(store, id, print) }),
  });
  telemetry.logger.info(
    { model: model.id, synthetic: model.synthetic, reason: model.reason },
    "default model",
  );
  if (model.synthetic) {
    telemetry.logger.warn({ model: model.id }, SYNTHETIC_NOTICE);
    print(`sluice: model ${model.id} has ${SYNTHETIC_NOTICE}`);
  }

  const sluice = await createSluice({
    models: [
      {
        id: model.id,
        source: model.source,
        preload: true,
        synthetic: model.synthetic,
        contextSize: env.SLUICE_CONTEXT_SIZE ?? 2048,
        sequences: env.SLUICE_SEQUENCES ?? 4,
        threads: env.SLUICE_THREADS ?? 2,
        ...((flags.mmproj ?? env.SLUICE_MMPROJ) ? { mmproj: flags.mmproj ?? env.SLUICE_MMPROJ } : {}),
      },
    ],
    modelDirs: dirs,
    store,
    runtime: env.SLUICE_RUNTIME ?? "in-process",
    limits: { maxQueue: env.SLUICE_MAX_QUEUE ?? 64 },
    telemetry,
    effectiveConfig: {
      server: { host, port, bodyLimitBytes: env.SLUICE_BODY_LIMIT_BYTES ?? 2 * 1024 * 1024 },
      auth: { keys: keys.size, redis: env.SLUICE_REDIS_URL ? "configured" : "none" },
      model: { id: model.id, synthetic: model.synthetic, reason: model.reason },
      runtime: env.SLUICE_RUNTIME ?? "in-process",
    },
  });

  const rpm = env.SLUICE_RATE_LIMIT_RPM ?? (keys.enabled ? 600 : 0);
  const burst = env.SLUICE_RATE_LIMIT_BURST ?? 60;
  let rateLimiter: RateLimiter | undefined;
  if (rpm > 0) {
    rateLimiter = env.SLUICE_REDIS_URL
      ? new RedisRateLimiter({
          url: env.SLUICE_REDIS_URL,
          perMinute: rpm,
          burst,
          onError: (err) =>
            telemetry.logger.warn({ err: String(err) }, "rate limiter: redis unavailable, allowing"),
        })
      : new MemoryRateLimiter({ perMinute: rpm, burst });
  }
  const playgroundPort = env.SLUICE_PLAYGROUND_PORT ?? 3000;
  const corsOrigins = env.SLUICE_CORS_ORIGINS
    ? env.SLUICE_CORS_ORIGINS.split(",").map((s) => s.trim())
    : [`http://127.0.0.1:${playgroundPort}`, `http://localhost:${playgroundPort}`];
  const http = new SluiceHttpServer({
    sluice,
    keys,
    ...(rateLimiter ? { rateLimiter } : {}),
    bodyLimitBytes: env.SLUICE_BODY_LIMIT_BYTES ?? 2 * 1024 * 1024,
    corsOrigins,
  });
  const address = await http.listen(port, host);
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  if (!keys.enabled) print("sluice: auth is off (no API keys): listening on loopback only");
  print(`sluice: API        ${url}/v1  (tRPC ${url}/trpc, metrics ${url}/metrics)`);
  print(`sluice: playground http://127.0.0.1:${playgroundPort}`);
  return {
    url,
    host: address.address,
    port: address.port,
    model,
    http,
    sluice,
    shutdown: (deadlineMs) => http.shutdown(deadlineMs ?? env.SLUICE_SHUTDOWN_DEADLINE_MS ?? 30_000),
  };
}

/**
 * Downloads a catalog model when the network answers within a few seconds;
 * resolves false at once on a machine without network, so start-up falls back
 * to the synthetic model instead of hanging.
 */
async function downloadWithProgress(
  store: ModelStore,
  id: string,
  print: (line: string) => void,
): Promise<boolean> {
  const reachable = await fetch("https://huggingface.co/api/models?limit=1", {
    method: "HEAD",
    signal: AbortSignal.timeout(3000),
  }).then(
    (r) => r.status < 500,
    () => false,
  );
  if (!reachable) {
    print(`sluice: huggingface.co is not reachable; not downloading ${id}`);
    return false;
  }
  print(`sluice: downloading ${id} (once; later starts use the verified file)`);
  let lastPercent = -10;
  try {
    await store.pull(id, {
      onProgress: (p) => {
        const percent = p.totalBytes > 0 ? Math.floor((p.bytes / p.totalBytes) * 100) : 0;
        if (percent >= lastPercent + 10) {
          lastPercent = percent;
          print(`sluice: ${p.phase} ${id} ${percent}%`);
        }
      },
    });
    return true;
  } catch (err) {
    print(`sluice: download of ${id} failed (${(err as { code?: string }).code ?? String(err)})`);
    return false;
  }
}
