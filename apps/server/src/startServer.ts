import { isIP } from "node:net";
import { resolve } from "node:path";
import { ConfigWatcher } from "@sluice/config";
import { createModelStore, type ModelStore } from "@sluice/core";
import { createSluice, type Sluice } from "@sluice/sdk";
import { createTelemetry } from "@sluice/telemetry";
import { ApiKeyStore } from "./auth/ApiKeyStore.ts";
import { MemoryRateLimiter, type RateLimiter } from "./auth/RateLimiter.ts";
import { RedisRateLimiter } from "./auth/RedisRateLimiter.ts";
import { type ChosenModel, chooseDefaultModel, SYNTHETIC_NOTICE } from "./defaultModel.ts";
import type { ServerEnv } from "./env.ts";
import { MetricsHistory } from "./http/MetricsHistory.ts";
import { SluiceHttpServer } from "./http/SluiceHttpServer.ts";
import { installRoot } from "./paths.ts";
import { redactedConfig, resolveSettings, type ServeFlags } from "./settings.ts";

export type { ServeFlags } from "./settings.ts";

/** A started server. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  model: ChosenModel;
  http: SluiceHttpServer;
  sluice: Sluice;
  /** Graceful stop (see SluiceHttpServer.shutdown); the deadline defaults to `server.shutdownGraceMs`. */
  shutdown(deadlineMs?: number): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/**
 * Builds everything from the layered config, the environment and the flags,
 * and starts listening. With no API keys the server binds to 127.0.0.1
 * whatever was asked, because it would otherwise serve anyone on the network.
 */
export async function startServer(
  env: ServerEnv,
  flags: ServeFlags = {},
  print: (line: string) => void = console.log,
): Promise<RunningServer> {
  const settings = resolveSettings(env, flags);
  const { config } = settings;
  const keys = new ApiKeyStore(settings.keys);
  let host = config.server.host;
  if (!keys.enabled && !isLoopback(host)) {
    print(`sluice: no API keys configured: binding 127.0.0.1 instead of ${host}`);
    host = "127.0.0.1";
  }
  const telemetry = await createTelemetry({
    log: { level: config.telemetry.logLevel, logContent: config.telemetry.logContent },
    tracing: {
      serviceName: config.telemetry.tracing.serviceName,
      sampleRatio: config.telemetry.tracing.sampleRatio,
      ...(config.telemetry.tracing.otlpEndpoint
        ? { otlpEndpoint: config.telemetry.tracing.otlpEndpoint }
        : {}),
    },
    ...(config.telemetry.audit.enabled || env.SLUICE_AUDIT_DIR
      ? {
          audit: {
            dir: resolve(installRoot(), config.telemetry.audit.dir),
            maxFileBytes: config.telemetry.audit.maxFileBytes,
          },
        }
      : {}),
  });
  telemetry.record.latencyTargets(
    Object.fromEntries(Object.entries(config.telemetry.latencyTargetsMs).map(([op, ms]) => [op, ms / 1000])),
  );
  for (const name of settings.loaded.ignoredEnv)
    if (name !== "SLUICE_API_KEYS" && name !== "SLUICE_OFFLINE" && name !== "SLUICE_MMPROJ")
      telemetry.logger.warn({ variable: name }, "unknown SLUICE_ variable ignored");

  const home = installRoot();
  const modelsDir = resolve(home, config.models.dir);
  const extraDirs = config.models.dirs.map((d) => resolve(home, d));
  const store = createModelStore({ modelsDir, extraDirs });
  const model = await chooseDefaultModel({
    requested: settings.requestedModel,
    preferred: settings.preferredModel,
    dirs: [modelsDir, ...extraDirs],
    synthDir: env.SLUICE_SYNTH_DIR ?? resolve(home, ".sluice", "synth"),
    ...(settings.offline ? {} : { download: (id: string) => downloadWithProgress(store, id, print) }),
  });
  telemetry.logger.info(
    { model: model.id, synthetic: model.synthetic, reason: model.reason },
    "default model",
  );
  if (model.synthetic) {
    telemetry.logger.warn({ model: model.id }, SYNTHETIC_NOTICE);
    print(`sluice: model ${model.id} has ${SYNTHETIC_NOTICE}`);
  }

  const runtime = {
    contextSize: config.runtime.contextSize,
    sequences: config.runtime.sequences,
    threads: config.runtime.threads,
  };
  // Other models: those to preload, and the cascade's tiers (loaded on first use).
  const tiers = config.cascade.enabled ? [...config.cascade.tiers].sort((a, b) => a.cost - b.cost) : [];
  const idOf = (ref: string) => (ref === config.models.default ? model.id : modelIdOf(ref));
  const others = new Map<string, string>();
  for (const ref of [...config.models.preload, ...tiers.map((t) => t.model)])
    if (idOf(ref) !== model.id) others.set(idOf(ref), ref);
  const sluice = await createSluice({
    models: [
      {
        id: model.id,
        source: model.source,
        preload: true,
        synthetic: model.synthetic,
        ...runtime,
        ...(settings.mmproj ? { mmproj: settings.mmproj } : {}),
      },
      ...[...others].map(([id, ref]) => ({
        id,
        source: ref,
        preload: config.models.preload.includes(ref),
        ...runtime,
      })),
    ],
    store,
    runtime: config.runtime.mode,
    memoryBudgetBytes: config.runtime.memoryBudgetBytes,
    runner: {
      heartbeatTimeoutMs: config.runtime.hangTimeoutMs,
      restart: {
        initialDelayMs: config.runtime.restart.initialDelayMs,
        maxDelayMs: config.runtime.restart.maxDelayMs,
      },
    },
    policy: {
      breakerThreshold: config.runtime.breaker.consecutiveFailures,
      halfOpenAfterMs: config.runtime.breaker.halfOpenAfterMs,
    },
    keepAliveMs: config.models.keepAliveMs,
    limits: {
      maxQueue: config.limits.maxQueueDepth,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      maxTokens: config.limits.maxTokens,
    },
    cache: settings.cache,
    telemetry,
    ...(tiers.length > 0
      ? { cascade: { tiers: tiers.map((t) => ({ id: idOf(t.model), threshold: t.confidenceThreshold })) } }
      : {}),
    effectiveConfig: {
      ...redactedConfig(config),
      served: { model: model.id, synthetic: model.synthetic, reason: model.reason },
    },
  });

  let rateLimiter: RateLimiter | undefined;
  if (settings.rateLimit) {
    rateLimiter = settings.redisUrl
      ? new RedisRateLimiter({
          url: settings.redisUrl,
          ...settings.rateLimit,
          onError: (err) =>
            telemetry.logger.warn(
              { err: String(err) },
              "rate limiter: redis unavailable, limiting per replica",
            ),
        })
      : new MemoryRateLimiter(settings.rateLimit);
  }
  const history = new MetricsHistory({ render: async () => (await sluice.metrics()).body });
  const http = new SluiceHttpServer({
    sluice,
    metricsHistory: () => ({ intervalMs: history.intervalMs, snapshots: history.snapshots() }),
    keys,
    ...(rateLimiter ? { rateLimiter } : {}),
    bodyLimitBytes: config.server.maxBodyBytes,
    corsOrigins: settings.corsOrigins,
    metricsPath: config.telemetry.metrics.enabled ? config.telemetry.metrics.path : null,
    ...(sluice.cascade ? { cascade: sluice.cascade } : {}),
  });
  // Hot reload: the watcher validates changed files and reports; an invalid change keeps the old config.
  const watcher = ConfigWatcher.start({
    initial: settings.loaded,
    load: () => resolveSettings(env, flags).loaded,
    onReload: (result) => {
      // Runtime-safe fields the server applies itself: log level and rate limits.
      if (result.outcome === "applied") {
        telemetry.logger.level = result.config.telemetry.logLevel;
        const rl = result.config.limits.rateLimit;
        if (rateLimiter && rl.requestsPerMinute > 0)
          rateLimiter.update({ perMinute: rl.requestsPerMinute, burst: rl.burst });
      }
      telemetry.record.configReload(result.outcome === "restart_required" ? "unchanged" : result.outcome);
      telemetry.logger.info({ outcome: result.outcome, applied: result.applied }, "config reload");
      void telemetry.audit
        ?.append({ action: "config.reload", outcome: result.outcome, details: { applied: result.applied } })
        .catch(() => undefined);
    },
  });
  const address = await http.listen(config.server.port, host);
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  if (!keys.enabled) print("sluice: auth is off (no API keys): listening on loopback only");
  print(`sluice: API        ${url}/v1  (tRPC ${url}/trpc, metrics ${url}/metrics)`);
  print(`sluice: playground http://127.0.0.1:${config.server.playgroundPort}`);
  return {
    url,
    host: address.address,
    port: address.port,
    model,
    http,
    sluice,
    shutdown: async (deadlineMs) => {
      watcher.close();
      history.close();
      await http.shutdown(deadlineMs ?? config.server.shutdownGraceMs);
    },
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

/** A model id clients can name for a model reference (catalog id, path or URI). */
function modelIdOf(ref: string): string {
  if (/^[A-Za-z0-9._:-]{1,128}$/.test(ref)) return ref;
  const base = ref
    .replace(/[?#].*$/, "")
    .replace(/^.*[/\\]/, "")
    .replace(/\.gguf$/i, "");
  return base.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128) || "model";
}
