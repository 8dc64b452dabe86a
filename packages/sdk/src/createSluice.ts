import { createCache } from "@sluice/cache";
import {
  createModelStore,
  DEFAULT_RUNTIME_BYTES,
  type EngineFactory,
  LlamaEngineFactory,
  MemoryBudget,
  type ModelHost,
  ModelNotFoundError,
  ModelStore,
  type RequestEndEvent,
  RunnerEngineFactory,
  type RunnerEngineFactoryOptions,
  Runtime,
  toSluiceError,
} from "@sluice/core";
import { createTelemetry, type Telemetry, type TelemetryOptions } from "@sluice/telemetry";
import { createAdmission } from "./admission.ts";
import { CascadeRouter } from "./CascadeRouter.ts";
import { catalogExtras } from "./catalogExtras.ts";
import { InferenceCache } from "./InferenceCache.ts";
import { LocalModelResolver } from "./LocalModelResolver.ts";
import { ModelAdmin } from "./ModelAdmin.ts";
import { ModelKindFactory } from "./ModelKindFactory.ts";
import { ModelMemory } from "./ModelMemory.ts";
import { ModelSlot } from "./ModelSlot.ts";
import { checkOptions, LIMIT_DEFAULTS, type SluiceOptions } from "./options.ts";
import { ContentPolicies } from "./policy/ContentPolicies.ts";
import type { ContentPolicy } from "./policy/ContentPolicy.ts";
import { RequestLimits } from "./RequestLimits.ts";
import { SlotTier } from "./SlotTier.ts";
import { type DispatchEvent, Sluice, type SluiceParts } from "./Sluice.ts";
import { StoreModelResolver } from "./StoreModelResolver.ts";

function isTelemetry(value: Telemetry | TelemetryOptions | undefined): value is Telemetry {
  return value !== undefined && "registry" in value && "renderMetrics" in value;
}

/**
 * The composition root: wires the model resolver, the engine factory
 * (in-process or runner processes), the caches and telemetry into one
 * {@link Sluice}. Models marked `preload` are loaded before it resolves.
 *
 * @throws RangeError naming the first invalid option.
 */
export async function createSluice(options: SluiceOptions): Promise<Sluice> {
  checkOptions(options);
  const ownsTelemetry = !isTelemetry(options.telemetry);
  const telemetry = isTelemetry(options.telemetry)
    ? options.telemetry
    : await createTelemetry(options.telemetry ?? { log: { level: "silent" } });
  const log = telemetry.logger.child({ component: "sdk" });

  const store =
    options.store === undefined
      ? undefined
      : options.store instanceof ModelStore
        ? options.store
        : createModelStore(options.store);
  if (store) wireStore(store, telemetry);
  let host: ModelHost | undefined;
  const memory = new ModelMemory(telemetry, (id) => host?.models().some((m) => m.modelId === id) ?? false);
  const gpu = options.gpu ?? false;
  const runnerOptions = {
    ...options.runner,
    engineOptions: { gpu },
    // A runner's errors (a poisoned context, an uncaught exception, llama.cpp's errors) are
    // errors here too. Its warnings stay at debug with the rest: they are llama.cpp's notes
    // on model metadata (six of them when the quick start loads its two models).
    logger: (r: { level?: string }) =>
      r.level === "error" ? log.error({ runner: r }, "runner log") : log.debug({ runner: r }, "runner log"),
    // After a crash the file is checked again before the runner reloads it.
    ...(store ? { verify: async (path: string) => void (await store.verify({ path })) } : {}),
    onEvent: (event: string, ...args: unknown[]) => {
      if (event === "memory") {
        const m = args[0] as { modelId: string; rssBytes: number; pid: number };
        memory.rss(m.modelId, m.rssBytes, m.pid);
        return;
      }
      if (event === "restarted")
        telemetry.record.runnerRestart(String((args[0] as { modelId?: string })?.modelId ?? "unknown"));
      if (event === "crash" || event === "restarted" || event === "broken")
        log.warn({ event, detail: args[0] }, "runner event");
      else log.debug({ event }, "runner event");
    },
  } as RunnerEngineFactoryOptions;
  const factory: EngineFactory =
    options.engineFactory ??
    new ModelKindFactory(
      options.runtime === "runner" ? new RunnerEngineFactory(runnerOptions) : new LlamaEngineFactory({ gpu }),
      runnerOptions,
    );
  const resolver =
    options.resolver ??
    (store ? new StoreModelResolver(store) : new LocalModelResolver(options.modelDirs ?? []));
  const { maxQueue, requestTimeoutMs, ...requestLimitValues } = { ...LIMIT_DEFAULTS, ...options.limits };
  const limits = { maxQueue, requestTimeoutMs };
  // Read per request, so a hot reload changes them; the runtime keeps only its own ceiling.
  const requestLimits = new RequestLimits(requestLimitValues);

  const slots = new Map<string, ModelSlot>();
  const slotOf = (id: string): ModelSlot => {
    const slot = slots.get(id);
    if (!slot) throw new ModelNotFoundError(`model ${id} is not configured`, { details: { model: id } });
    return slot;
  };
  const budget =
    options.memoryBudgetBytes === undefined
      ? undefined
      : new MemoryBudget({ budgetBytes: options.memoryBudgetBytes, evictor: () => host });
  if (budget) telemetry.record.memoryBudget(budget.budgetBytes);
  const dispatchListeners = new Set<(event: DispatchEvent) => void>();
  const runtime = new Runtime({
    engineFactory: factory,
    resolve: async (id, signal) => {
      const file = await slotOf(id).pull(undefined, signal);
      return { path: file.path, sha256: file.sha256 };
    },
    loadOptions: (id) => slotOf(id).loadOptions(),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    admit: createAdmission({
      host: () => host,
      maxLoaded: options.maxLoaded,
      budget,
      memory,
      // In process one process holds every model: no per-runner overhead.
      runtimeBytes: options.runtime === "runner" ? DEFAULT_RUNTIME_BYTES : 0,
    }),
    scheduler: {
      maxQueue: limits.maxQueue,
      ...(limits.requestTimeoutMs > 0 ? { defaultDeadlineMs: limits.requestTimeoutMs } : {}),
    },
    trace: (stage, fn, attributes) => telemetry.withSpan(stage, fn, attributes),
    onDispatch: (e) => {
      telemetry.record.queueWait(e.modelId, e.waitedMs / 1000);
      const stats = runtime.scheduler.stats(e.modelId);
      telemetry.record.queue(e.modelId, stats.queued, limits.maxQueue);
      telemetry.record.sequencesBusy(e.modelId, stats.running);
      if (e.op !== "generate") return;
      for (const listener of dispatchListeners) {
        try {
          listener({ model: e.modelId, caller: e.caller, waitedMs: e.waitedMs });
        } catch {
          // Observers must never break a request.
        }
      }
    },
    onRequestEnd: (e) => recordRequestEnd(telemetry, runtime, e, limits.maxQueue),
  });
  host = runtime.host;
  runtime.host.onStateChange((e) => {
    const error = e.error === undefined ? undefined : toSluiceError(e.error);
    slots.get(e.modelId)?.noteError(error);
    if (e.state === "ready" && e.previous === "loading") telemetry.record.modelLoad(e.modelId, "success");
    if (e.state === "broken") telemetry.record.modelLoad(e.modelId, "failure");
    if (e.state === "unloaded") {
      memory.forget(e.modelId);
      telemetry.record.modelUnloaded(e.modelId);
    }
    telemetry.record.breaker(e.modelId, breakerOf(runtime.host.policy(e.modelId).state));
    log.info(
      { model: e.modelId, state: e.state, previous: e.previous, error: error?.toJSON() },
      "model state",
    );
  });
  for (const m of options.models) {
    slots.set(m.id, new ModelSlot(m, runtime.host, resolver));
    // Exported from the start, not from the first request: autoscalers (the HPA on
    // sluice_queue_depth) must read an idle replica as 0, not as missing.
    telemetry.record.queue(m.id, 0, limits.maxQueue);
    telemetry.record.sequencesBusy(m.id, 0);
  }
  const defaultModel =
    options.defaultModel ??
    options.models.find((m) => (m.role ?? "chat") === "chat")?.id ??
    options.models[0]?.id;
  if (defaultModel === undefined) throw new RangeError("models must list at least one model, got none");

  const cacheStore = options.cache === false ? undefined : createCache(options.cache ?? {});
  const cache = new InferenceCache(cacheStore, (c, r) => telemetry.record.cache(c, r), options.caching);
  if (cacheStore?.stats().redis !== undefined)
    telemetry.metrics.observeRedis("cache", () => cacheStore.stats().redis?.connected === true);
  const admin = new ModelAdmin(
    slots,
    defaultModel,
    (action, model, outcome, details, actor) => {
      void telemetry.audit
        ?.append({ action: `model.${action}`, actor: actor ?? "system", target: model, outcome, details })
        .catch((err: unknown) => log.error({ err }, "audit append failed"));
    },
    (id) => runtime.scheduler.stats(id),
    {
      memory: (id) => memory.of(id),
      ...(store
        ? catalogExtras(store, slots, defaultModel, runtime.host, resolver, budget?.budgetBytes)
        : {}),
    },
  );

  const parts: SluiceParts = {
    slots,
    defaultModel,
    admin,
    runtime,
    cache,
    telemetry,
    ownsTelemetry,
    dispatchListeners,
    requestLimits,
    policies: contentPolicies(options.contentPolicies ?? [], telemetry),
    effectiveConfig: options.effectiveConfig ?? {
      models: options.models,
      defaultModel,
      runtime: options.runtime ?? "in-process",
      limits: { ...limits, ...requestLimits.values },
    },
  };
  const sluice = new Sluice(parts);
  if (options.cascade) {
    const tiers = options.cascade.tiers ?? [];
    const backends = tiers.map((t) => {
      const slot = slots.get(t.id);
      if (!slot) throw new RangeError(`cascade tier ${t.id} must name a configured model`);
      return new SlotTier(slot, runtime.scheduler, runtime.host, () => sluice);
    });
    parts.cascade = new CascadeRouter({
      config: options.cascade,
      backends,
      onEvent: (event) => {
        if (event.type === "escalate" || event.type === "degrade" || event.type === "skip")
          log.info({ cascade: event }, `cascade ${event.type}`);
      },
    });
  }
  try {
    for (const m of options.models) if (m.preload) await admin.load(m.id);
  } catch (err) {
    await sluice.close();
    throw err;
  }
  return sluice;
}

/** One request's end → metrics: the runtime reports every request that reached its queue. */
function recordRequestEnd(
  telemetry: Telemetry,
  runtime: Runtime,
  e: RequestEndEvent,
  maxQueue: number,
): void {
  const op = e.op === "embed" ? "embed" : e.mode === "chat" ? "chat" : "generate";
  telemetry.record.requestFinished({
    op,
    model: e.modelId,
    code: e.outcome === "ok" ? "OK" : e.outcome,
    durationSeconds: e.durationMs / 1000,
  });
  if (e.stats) {
    telemetry.record.tokens(e.modelId, e.stats.promptTokens, e.stats.generatedTokens);
    if (e.stats.generatedTokens > 0)
      telemetry.record.firstToken(e.modelId, e.stats.timeToFirstTokenMs / 1000);
    if (e.op !== "embed") telemetry.record.sequenceReuse(e.modelId, e.stats.reusedPromptTokens ?? 0);
  }
  if (e.promptTokens) telemetry.record.tokens(e.modelId, e.promptTokens, 0);
  const stats = runtime.scheduler.stats(e.modelId);
  telemetry.record.sequencesBusy(e.modelId, stats.running);
  telemetry.record.queue(e.modelId, stats.queued, maxQueue);
}

/** Store events → logs and the audit log (telemetry knows nothing of the store). */
function wireStore(store: ModelStore, telemetry: Telemetry): void {
  const log = telemetry.logger.child({ component: "model-store" });
  store.on("download-start", (e) => log.info({ model: e.key, url: e.url }, "download started"));
  store.on("download-done", (e) => log.info({ model: e.key, bytes: e.bytes, ms: e.ms }, "download done"));
  store.on("pin", (e) => log.warn({ model: e.key, sha256: e.sha256 }, "digest pinned on first download"));
  store.on("quarantine", (e) => {
    log.error(
      { model: e.key, path: e.path, quarantinePath: e.quarantinePath, reason: e.error.message },
      "model quarantined",
    );
    void telemetry.audit
      ?.append({
        action: "model.quarantine",
        target: e.key ?? e.path,
        outcome: "quarantined",
        details: { path: e.path, quarantinePath: e.quarantinePath, reason: e.error.message },
      })
      .catch(() => undefined);
  });
  store.on("rejected", (e) =>
    log.warn({ model: e.key, path: e.path, reason: e.error.message }, "model file rejected"),
  );
}

/** The host's breaker state as the metric's label set knows it. */
function breakerOf(state: string): "closed" | "halfOpen" | "open" {
  if (state === "half-open") return "halfOpen";
  return state === "closed" ? "closed" : "open";
}

/** Content policies, with every redaction counted and every block counted and audited (reason, never the text). */
function contentPolicies(policies: readonly ContentPolicy[], telemetry: Telemetry): ContentPolicies {
  return new ContentPolicies(policies, (e) => {
    telemetry.record.contentPolicy(e.stage, e.action, e.policy);
    if (e.action !== "block") return;
    telemetry.logger.warn(
      { stage: e.stage, policy: e.policy, reason: e.reason, op: e.context.op },
      "content blocked",
    );
    void telemetry.audit
      ?.append({
        action: "content.blocked",
        actor: e.context.caller,
        ...(e.context.model ? { target: e.context.model } : {}),
        outcome: "blocked",
        details: { stage: e.stage, policy: e.policy, reason: e.reason, op: e.context.op },
      })
      .catch(() => undefined);
  });
}
