import { isIP } from "node:net";
import { resolve } from "node:path";
import { ConfigWatcher, type SluiceConfig } from "@sluice/config";
import { createModelStore, type ModelStore, resolveRunnerSandbox } from "@sluice/core";
import {
  type ContentPolicy,
  createSluice,
  denyListPolicy,
  piiRedactionPolicy,
  type Sluice,
  type SluiceOptions,
} from "@sluice/sdk";
import { createTelemetry, type TelemetryOptions } from "@sluice/telemetry";
import { applyReload, latencyTargetsSeconds } from "./applyReload.ts";
import { ApiKeyStore } from "./auth/ApiKeyStore.ts";
import { FailedAuthLimiter } from "./auth/FailedAuthLimiter.ts";
import { MemoryRateLimiter, type RateLimiter } from "./auth/RateLimiter.ts";
import { RedisRateLimiter } from "./auth/RedisRateLimiter.ts";
import { type ChosenModel, chooseDefaultModel, SYNTHETIC_NOTICE } from "./defaultModel.ts";
import type { ServerEnv } from "./env.ts";
import { MetricsHistory } from "./http/MetricsHistory.ts";
import { SluiceHttpServer } from "./http/SluiceHttpServer.ts";
import { installRoot } from "./paths.ts";
import { redactedConfig, resolveSettings, type ServeFlags } from "./settings.ts";

export type { ServeFlags } from "./settings.ts";

/** Options of {@link startServer} that are not settings. */
export interface StartServerOptions {
  /** Where log lines go. Defaults to stdout. */
  logDestination?: NonNullable<TelemetryOptions["log"]>["destination"];
}

/** A started server. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  model: ChosenModel;
  http: SluiceHttpServer;
  sluice: Sluice;
  /** What the last hot reload applied and what waits for a restart; undefined before the first. */
  readonly lastReload: { outcome: string; applied: string[]; restartRequired: string[] } | undefined;
  /** Reloads the config files now (as a file change would). */
  reload(): void;
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
  options: StartServerOptions = {},
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
    metrics: { defaultMetrics: config.telemetry.metrics.processMetrics },
    log: {
      level: config.telemetry.logLevel,
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    },
    tracing: {
      serviceName: config.telemetry.tracing.serviceName,
      sampleRatio: config.telemetry.tracing.sampleRatio,
      ...(config.telemetry.tracing.otlpEndpoint
        ? { otlpEndpoint: config.telemetry.tracing.otlpEndpoint }
        : {}),
    },
    ...(config.telemetry.audit.enabled
      ? {
          audit: {
            dir: resolve(installRoot(), config.telemetry.audit.dir),
            maxFileBytes: config.telemetry.audit.maxFileBytes,
            hmacKeys: config.telemetry.audit.hmacKeys,
            ...(config.telemetry.audit.activeKeyId
              ? { activeKeyId: config.telemetry.audit.activeKeyId }
              : {}),
            retention: {
              maxTotalBytes: config.telemetry.audit.maxTotalBytes,
              ...(config.telemetry.audit.maxAgeDays > 0
                ? { maxAgeMs: config.telemetry.audit.maxAgeDays * 86_400_000 }
                : {}),
            },
          },
        }
      : {}),
  });
  telemetry.record.latencyTargets(latencyTargetsSeconds(config));
  if (telemetry.audit && telemetry.audit.keyId === undefined) {
    const warning =
      "audit log has no HMAC key (telemetry.audit.hmacKeys): its chain is tamper-evident against accidents only; anyone who can write the files can rewrite it";
    telemetry.logger.warn({ dir: config.telemetry.audit.dir }, warning);
    print(`sluice: ${warning}`);
  }
  for (const name of settings.loaded.ignoredEnv)
    if (!["SLUICE_API_KEYS", "SLUICE_OFFLINE", "SLUICE_MMPROJ", "SLUICE_SYNTH_DIR"].includes(name))
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

  // Resolved once: `bwrap` that cannot run stops start-up here; `auto` that falls back says so.
  const sandbox = config.runtime.mode === "runner" ? resolveRunnerSandbox(config.runtime.sandbox) : undefined;
  if (sandbox?.active === "none" && config.runtime.sandbox === "auto") {
    const warning = `runners are not sandboxed (${sandbox.reason}); they get a minimal environment only`;
    telemetry.logger.warn({ reason: sandbox.reason }, warning);
    print(`sluice: ${warning}`);
  } else if (sandbox) telemetry.logger.info({ sandbox: sandbox.active }, "runner sandbox");

  const runtime = {
    contextSize: config.runtime.contextSize,
    sequences: config.runtime.sequences,
    threads: config.runtime.threads,
    batchSize: config.runtime.batchSize,
    streamIntervalMs: config.runtime.streamIntervalMs,
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
    gpu: config.runtime.gpu,
    maxLoaded: config.models.maxLoaded,
    memoryBudgetBytes: config.runtime.memoryBudgetBytes,
    runner: {
      ...(sandbox ? { sandbox } : {}),
      hangTimeoutMs: config.runtime.hangTimeoutMs,
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
      defaultMaxTokens: config.limits.defaultMaxTokens,
      maxInputChars: config.limits.maxInputChars,
      maxEmbeddingInputs: config.limits.maxEmbeddingInputs,
    },
    cache: settings.cache,
    caching: { embeddings: config.cache.embeddings, results: config.cache.results },
    telemetry,
    contentPolicies: builtinContentPolicies(config.contentPolicy),
    ...(tiers.length > 0 ? { cascade: cascadeOptions(config, idOf) } : {}),
    effectiveConfig: {
      ...redactedConfig(config),
      served: { model: model.id, synthetic: model.synthetic, reason: model.reason },
    },
  });

  let rateLimiter: RateLimiter | undefined;
  if (settings.rateLimit && settings.redisUrl) {
    const shared = new RedisRateLimiter({
      url: settings.redisUrl,
      ...settings.rateLimit,
      onError: (err) =>
        telemetry.logger.warn({ err: String(err) }, "rate limiter: redis unavailable, limiting per replica"),
    });
    // While this reads 0 the replica limits each key with its own bucket.
    telemetry.metrics.observeRedis("rate_limit", () => shared.shared);
    rateLimiter = shared;
  } else if (settings.rateLimit) {
    rateLimiter = new MemoryRateLimiter(settings.rateLimit);
  }
  const fa = config.limits.failedAuth;
  const failedAuth = new FailedAuthLimiter({ perMinute: Math.max(fa.perMinute, 1), burst: fa.burst });
  let failedAuthOn = fa.perMinute > 0;
  const history = new MetricsHistory({ render: async () => (await sluice.metrics()).body });
  const http = new SluiceHttpServer({
    sluice,
    metricsHistory: () => ({ intervalMs: history.intervalMs, snapshots: history.snapshots() }),
    keys,
    ...(rateLimiter ? { rateLimiter } : {}),
    failedAuth: {
      blockedFor: (address) => (failedAuthOn ? failedAuth.blockedFor(address) : 0),
      fail: (address) => {
        if (failedAuthOn) failedAuth.fail(address);
      },
    },
    authFailuresPerMinute: config.telemetry.audit.authFailuresPerMinute,
    bodyLimitBytes: config.server.maxBodyBytes,
    corsOrigins: settings.corsOrigins,
    metricsPath: config.telemetry.metrics.enabled ? config.telemetry.metrics.path : null,
    ...(sluice.cascade ? { cascade: sluice.cascade } : {}),
  });
  // Hot reload: the watcher validates changed files and reports; an invalid change keeps the old config.
  let lastReload: RunningServer["lastReload"];
  const watcher = ConfigWatcher.start({
    initial: settings.loaded,
    load: () => resolveSettings(env, flags).loaded,
    onReload: (result) => {
      let done: { applied: string[]; restartRequired: string[] };
      try {
        done = applyReload(result, {
          sluice,
          telemetry,
          rateLimiter,
          failedAuth: (next) => {
            failedAuthOn = next.perMinute > 0;
            if (failedAuthOn) failedAuth.update(next);
          },
          tierIds: tiers.length > 0 ? config.cascade.tiers.map((t) => idOf(t.model)) : undefined,
        });
      } catch (err) {
        // A value the schema let through but a part refused (nothing of it was applied).
        telemetry.logger.error({ err: String(err) }, "config reload could not be applied");
        done = { applied: [], restartRequired: result.restartRequired };
      }
      const outcome =
        result.outcome !== "applied" || done.applied.length > 0
          ? result.outcome
          : done.restartRequired.length > 0
            ? "restart_required"
            : "unchanged";
      telemetry.record.configReload(outcome);
      telemetry.logger.info(
        { outcome, applied: done.applied, restartRequired: done.restartRequired },
        "config reload",
      );
      void telemetry.audit
        ?.append({
          action: "config.reload",
          outcome,
          details: {
            applied: done.applied,
            restartRequired: done.restartRequired,
            ...(result.error ? { error: result.error.message } : {}),
          },
        })
        .catch(() => undefined);
      lastReload = { outcome, ...done };
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
    get lastReload() {
      return lastReload;
    },
    reload: () => void watcher.reload(),
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

/** The content policies the config enables: the deny-list first (a blocked text needs no redaction), then PII. */
function builtinContentPolicies(c: SluiceConfig["contentPolicy"]): ContentPolicy[] {
  const policies: ContentPolicy[] = [];
  if (c.denyTerms.length > 0 || c.denyPatterns.length > 0)
    policies.push(denyListPolicy({ terms: c.denyTerms, patterns: c.denyPatterns }));
  if (c.redactPii) policies.push(piiRedactionPolicy());
  return policies;
}

/** The cascade's options from the config: tiers cheapest first, fallback and the A/B experiment. */
function cascadeOptions(
  config: SluiceConfig,
  idOf: (ref: string) => string,
): NonNullable<SluiceOptions["cascade"]> {
  const tiers = [...config.cascade.tiers].sort((a, b) => a.cost - b.cost);
  const experiment = config.cascade.experiment;
  return {
    tiers: tiers.map((t) => ({ id: idOf(t.model), threshold: t.confidenceThreshold })),
    fallback: config.cascade.fallback,
    ...(experiment
      ? {
          experiment: {
            id: experiment.id,
            arms: experiment.arms.map((a) => ({
              id: a.id,
              weight: a.weight,
              ...(a.tiers ? { tiers: a.tiers.map(idOf) } : {}),
            })),
          },
        }
      : {}),
  };
}
