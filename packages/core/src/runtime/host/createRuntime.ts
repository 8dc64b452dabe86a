import {
  AbortedError,
  type ErrorCode,
  errorFromCode,
  isSluiceError,
  toSluiceError,
} from "../../errors/index.ts";
import {
  type EmbedOptions,
  type GenerateEvent,
  type GenerateParams,
  type GenerateStats,
  validateEmbedTexts,
  validateGenerateParams,
} from "../engine/index.ts";
import { type ScheduleOptions, Scheduler, type SchedulerOptions, type Slot } from "../scheduler/index.ts";
import { EventChannel } from "./EventChannel.ts";
import { linkSignals } from "./linkSignals.ts";
import { ModelHost, type ModelHostOptions } from "./ModelHost.ts";

export interface RuntimeOptions extends ModelHostOptions {
  /** Queue settings; per-model generation concurrency comes from `loadOptions(model).sequences`. */
  scheduler?: Omit<SchedulerOptions, "concurrency">;
  /** Embed calls running at once per model (they share its embedding contexts). Defaults to `8`. */
  embedConcurrency?: number;
  /** Called once per request that reached the queue, for metrics and logs. Errors it throws are ignored. */
  onRequestEnd?: (event: RequestEndEvent) => void;
}

/** How one request ended. */
export interface RequestEndEvent {
  op: "generate" | "embed";
  modelId: string;
  caller: string;
  /** "ok" or the SluiceError code it failed with. */
  outcome: "ok" | ErrorCode;
  /** Milliseconds in the queue (undefined when it never left the queue). */
  queueWaitMs: number | undefined;
  /** Milliseconds from the call to the end. */
  durationMs: number;
  /** Generation stats when a generation finished. */
  stats?: GenerateStats;
}

/** Per-request options: fairness key, priority, deadline, cancellation. */
export type RequestOptions = ScheduleOptions;

/**
 * The runtime composed: scheduler → model host (breaker, load, keep-alive) →
 * engine. Every request is validated before it is queued; nothing invalid
 * reaches a model.
 */
export interface Runtime extends AsyncDisposable {
  readonly host: ModelHost;
  readonly scheduler: Scheduler;
  /** Streams tokens of one generation; the last event carries the stats. */
  generate(modelId: string, params: GenerateParams, options?: RequestOptions): AsyncIterable<GenerateEvent>;
  /** Runs a generation to the end and returns its text and stats. */
  complete(
    modelId: string,
    params: GenerateParams,
    options?: RequestOptions,
  ): Promise<{ text: string; stats: GenerateStats }>;
  /** One vector per text, in order. */
  embed(
    modelId: string,
    texts: string[],
    embed?: EmbedOptions,
    options?: RequestOptions,
  ): Promise<Float32Array[]>;
  /** Refuses new requests, lets queued and running ones finish for up to `deadlineMs` (default `30_000`), then unloads. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
  /** Fails everything queued or running and unloads now. Idempotent. */
  destroy(): Promise<void>;
}

const EMBED_LANE = "#embed";

/**
 * Creates a runtime over an engine factory (in-process or runner processes)
 * and a model resolver (the model store).
 *
 * @example
 * ```ts
 * const runtime = createRuntime({
 *   engineFactory: new LlamaEngineFactory(),
 *   resolve: async (id) => store.resolve(id),
 *   loadOptions: () => ({ contextSize: 2048, sequences: 4, threads: 2 }),
 * });
 * for await (const e of runtime.generate("lfm2-350m", { prompt: "Hi", maxTokens: 32 }, { caller: key }))
 *   if (e.type === "token") process.stdout.write(e.text);
 * await runtime.close();
 * ```
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const embedConcurrency = options.embedConcurrency ?? 8;
  if (!Number.isInteger(embedConcurrency) || embedConcurrency < 1)
    throw new RangeError(`embedConcurrency must be an integer >= 1, got ${embedConcurrency}`);
  const host = new ModelHost(options);
  const scheduler = new Scheduler({
    ...options.scheduler,
    concurrency: (lane) =>
      lane.endsWith(EMBED_LANE) ? embedConcurrency : (options.loadOptions?.(lane).sequences ?? 4),
  });
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;

  function report(event: RequestEndEvent): void {
    try {
      options.onRequestEnd?.(event);
    } catch {
      // A metrics hook must never fail a request.
    }
  }

  async function* generate(modelId: string, params: GenerateParams, request: RequestOptions = {}) {
    validateGenerateParams(params);
    const calledAt = performance.now();
    const base = { op: "generate" as const, modelId, caller: request.caller ?? "anonymous" };
    let slot: Slot;
    try {
      slot = await scheduler.acquire(modelId, request);
    } catch (err) {
      report({
        ...base,
        outcome: codeOf(err),
        queueWaitMs: undefined,
        durationMs: performance.now() - calledAt,
      });
      throw err;
    }
    let outcome: RequestEndEvent["outcome"] = "ABORTED";
    let stats: GenerateStats | undefined;
    const stop = new AbortController();
    const channel = new EventChannel<GenerateEvent>();
    let delivered = false;
    const producer = host
      .run(
        modelId,
        async (engine, signal) => {
          const link = linkSignals(signal, stop.signal);
          try {
            for await (const event of engine.generate(params, link.signal)) {
              delivered = true;
              await channel.put(event, link.signal);
            }
          } catch (err) {
            // Once tokens reached the caller a retry would repeat them.
            throw delivered ? notRetryable(err) : err;
          } finally {
            link.dispose();
          }
        },
        slot.signal,
      )
      .then(
        () => channel.end(),
        (err: unknown) => channel.fail(err),
      )
      // The slot goes back as soon as the model is done, even if the caller never reads again.
      .finally(() => slot.release());
    try {
      for (;;) {
        const next = await channel.take();
        if (next.done) {
          outcome = "ok";
          return;
        }
        if (next.value.type === "done") {
          stats = next.value.stats;
          outcome = "ok";
        }
        yield next.value;
      }
    } catch (err) {
      outcome = codeOf(err);
      throw err;
    } finally {
      stop.abort(new AbortedError("the caller stopped reading"));
      await producer;
      const event: RequestEndEvent = {
        ...base,
        outcome,
        queueWaitMs: slot.waitedMs,
        durationMs: performance.now() - calledAt,
      };
      if (stats) event.stats = stats;
      report(event);
    }
  }

  const runtime: Runtime = {
    host,
    scheduler,
    generate: (modelId, params, request) => ({
      [Symbol.asyncIterator]: () => generate(modelId, params, request),
    }),
    async complete(modelId, params, request) {
      for await (const event of generate(modelId, params, request))
        if (event.type === "done") return { text: event.text, stats: event.stats };
      throw errorFromCode("INFERENCE_FAILED", "the generation ended without a result");
    },
    async embed(modelId, texts, embed, request) {
      validateEmbedTexts(texts);
      const calledAt = performance.now();
      let queueWaitMs: number | undefined;
      let outcome: RequestEndEvent["outcome"] = "ok";
      try {
        return await scheduler.run(
          modelId + EMBED_LANE,
          (slotSignal, slot) => {
            queueWaitMs = slot.waitedMs;
            return host.run(modelId, (engine, signal) => engine.embed(texts, embed, signal), slotSignal);
          },
          request,
        );
      } catch (err) {
        outcome = codeOf(err);
        throw err;
      } finally {
        report({
          op: "embed",
          modelId,
          caller: request?.caller ?? "anonymous",
          outcome,
          queueWaitMs,
          durationMs: performance.now() - calledAt,
        });
      }
    },
    close(deadlineMs = 30_000) {
      closing ??= (async () => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        });
        await Promise.race([scheduler.close(), deadline]);
        clearTimeout(timer);
        await runtime.destroy();
      })();
      return closing;
    },
    destroy() {
      destroying ??= (async () => {
        scheduler.destroy();
        // Producers end at once on the aborted signals; a bound guards against a stuck native call.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          scheduler.idle(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 1_000);
          }),
        ]);
        clearTimeout(timer);
        await host.destroy();
      })();
      return destroying;
    },
    [Symbol.asyncDispose]() {
      return runtime.close();
    },
  };
  return runtime;
}

function codeOf(err: unknown): ErrorCode {
  return isSluiceError(err) ? err.code : "INFERENCE_FAILED";
}

function notRetryable(err: unknown) {
  const e = isSluiceError(err) ? err : toSluiceError(err);
  if (!e.retryable) return e;
  return errorFromCode(e.code, e.message, { cause: e, details: e.details, retryable: false });
}
