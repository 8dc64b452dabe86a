import {
  AbortedError,
  type ErrorCode,
  errorFromCode,
  InvalidInputError,
  isSluiceError,
  type SluiceError,
  toSluiceError,
} from "../../errors/index.ts";
import {
  type EmbedOptions,
  type GenerateEvent,
  type GenerateOptions,
  type GenerateParams,
  type GenerateStats,
  validateEmbedTexts,
  validateGenerateParams,
} from "../engine/index.ts";
import { type ScheduleOptions, Scheduler, type SchedulerOptions, type Slot } from "../scheduler/index.ts";
import { EventChannel } from "./EventChannel.ts";
import { linkSignals } from "./linkSignals.ts";
import { ModelHost, type ModelHostOptions } from "./ModelHost.ts";

/** Stages the runtime asks its trace hook to wrap. */
export type RuntimeStage = "queue" | "decode" | "embed";

/** Runs `fn` inside a span of `stage` (an OpenTelemetry `withSpan`, for instance). */
export type RuntimeTrace = <T>(
  stage: RuntimeStage,
  fn: () => Promise<T>,
  attributes: Record<string, string | number>,
) => Promise<T>;

export interface RuntimeOptions extends ModelHostOptions {
  /** Queue settings; per-model generation concurrency comes from `loadOptions(model).sequences`. */
  scheduler?: Omit<SchedulerOptions, "concurrency">;
  /** Embed calls running at once per model (they share its embedding contexts). Defaults to `8`. */
  embedConcurrency?: number;
  /** Largest `maxTokens` one request may ask for. Defaults to `1048576` (the validator's ceiling). */
  maxTokens?: number;
  /** Called when a request leaves the queue and starts. Errors it throws are ignored. Defaults to none. */
  onDispatch?: (event: DispatchEvent) => void;
  /** Called once per request that was accepted for queueing, for metrics and logs. Errors it throws are ignored. Defaults to none. */
  onRequestEnd?: (event: RequestEndEvent) => void;
  /** Wraps the queue wait and the model work in spans. Defaults to none. */
  trace?: RuntimeTrace;
}

/** A request that left the queue and started. */
export interface DispatchEvent {
  op: "generate" | "embed";
  modelId: string;
  caller: string;
  /** Milliseconds spent in the queue. */
  waitedMs: number;
}

/** How one request ended. */
export interface RequestEndEvent {
  op: "generate" | "embed";
  /** Of a generation: a raw prompt or chat messages. */
  mode?: "prompt" | "chat";
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
  /** Prompt tokens an embed call evaluated. */
  promptTokens?: number;
}

/** Per-request options: fairness key, priority, deadline, cancellation. */
export type RequestOptions = ScheduleOptions;

/** Vectors of an embed call and the prompt tokens it evaluated. */
export interface EmbedOutput {
  vectors: Float32Array[];
  promptTokens: number;
}

const EMBED_LANE = "#embed";

/**
 * The one request path of Sluice: validate → queue (scheduler: priority,
 * fairness, deadline, cancellation) → lease (model host: load, breaker,
 * retry before the first token) → engine → report. The SDK, the server and
 * the CLI reach inference only through it.
 *
 * @example
 * ```ts
 * const runtime = new Runtime({
 *   engineFactory: new LlamaEngineFactory(),
 *   resolve: async (id) => store.resolve(id),
 *   loadOptions: () => ({ contextSize: 2048, sequences: 4, threads: 2 }),
 * });
 * for await (const e of runtime.generate("lfm2-350m", { prompt: "Hi", maxTokens: 32 }, { caller: key }))
 *   if (e.type === "token") process.stdout.write(e.text);
 * await runtime.close();
 * ```
 */
export class Runtime implements AsyncDisposable {
  readonly host: ModelHost;
  readonly scheduler: Scheduler;
  readonly #options: RuntimeOptions;
  readonly #maxTokens: number;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;

  constructor(options: RuntimeOptions) {
    const embedConcurrency = options.embedConcurrency ?? 8;
    if (!Number.isInteger(embedConcurrency) || embedConcurrency < 1)
      throw new RangeError(`embedConcurrency must be an integer >= 1, got ${embedConcurrency}`);
    this.#maxTokens = options.maxTokens ?? 1 << 20;
    if (!Number.isInteger(this.#maxTokens) || this.#maxTokens < 1)
      throw new RangeError(`maxTokens must be an integer >= 1, got ${this.#maxTokens}`);
    this.#options = options;
    this.host = new ModelHost(options);
    this.scheduler = new Scheduler({
      ...options.scheduler,
      concurrency: (lane) =>
        lane.endsWith(EMBED_LANE) ? embedConcurrency : (options.loadOptions?.(lane).sequences ?? 4),
    });
  }

  /**
   * Checks a generation request without touching a model; throws
   * INVALID_INPUT naming the field. Callers that derive anything from the
   * params (a cache key) call it first.
   */
  validate(params: GenerateParams): void {
    validateGenerateParams(params);
    const maxTokens = params.maxTokens ?? 256;
    if (maxTokens > this.#maxTokens)
      throw new InvalidInputError(`maxTokens must be at most ${this.#maxTokens}`, {
        details: { field: "maxTokens", value: maxTokens },
      });
  }

  /** Streams tokens of one generation; the last event carries the stats. */
  generate(modelId: string, params: GenerateParams, options?: RequestOptions): AsyncIterable<GenerateEvent> {
    return { [Symbol.asyncIterator]: () => this.#generate(modelId, params, options) };
  }

  /** Runs a generation to the end and returns its final event: text, stats, tool calls, logprobs. */
  async complete(
    modelId: string,
    params: GenerateParams,
    options?: RequestOptions,
  ): Promise<Omit<Extract<GenerateEvent, { type: "done" }>, "type">> {
    let result: Omit<Extract<GenerateEvent, { type: "done" }>, "type"> | undefined;
    // Read to the end (not just to "done") so the request is reported as finished, not abandoned.
    // Only the done event is asked for: a runner then sends no message per token.
    for await (const event of this.#generate(modelId, params, options, { stream: false }))
      if (event.type === "done") {
        const { type: _, ...done } = event;
        result = done;
      }
    if (result) return result;
    throw errorFromCode("INFERENCE_FAILED", "the generation ended without a result");
  }

  /** One vector per text, in order. */
  async embed(
    modelId: string,
    texts: string[],
    embed?: EmbedOptions,
    options?: RequestOptions,
  ): Promise<Float32Array[]> {
    return (await this.#embed(modelId, texts, embed, options, false)).vectors;
  }

  /** One vector per text, in order, and the prompt tokens evaluated (counting them costs a tokenize per text). */
  embedWithUsage(
    modelId: string,
    texts: string[],
    embed?: EmbedOptions,
    options?: RequestOptions,
  ): Promise<EmbedOutput> {
    return this.#embed(modelId, texts, embed, options, true);
  }

  async #embed(
    modelId: string,
    texts: string[],
    embed: EmbedOptions | undefined,
    request: RequestOptions = {},
    countTokens: boolean,
  ): Promise<EmbedOutput> {
    validateEmbedTexts(texts);
    const calledAt = performance.now();
    const caller = request.caller ?? "anonymous";
    let queueWaitMs: number | undefined;
    let outcome: RequestEndEvent["outcome"] = "ok";
    let promptTokens: number | undefined;
    let slot: Slot | undefined;
    try {
      slot = await this.#acquire("embed", modelId + EMBED_LANE, modelId, request);
      queueWaitMs = slot.waitedMs;
      const signal = slot.signal;
      const output = await this.#trace(
        "embed",
        { "sluice.model": modelId, "sluice.texts": texts.length },
        () =>
          this.host.run(
            modelId,
            async (engine, s) => {
              const vectors = await engine.embed(texts, embed, s);
              let tokens = 0;
              if (countTokens) for (const t of texts) tokens += (await engine.tokenize(t)).length;
              return { vectors, promptTokens: tokens };
            },
            signal,
          ),
      );
      promptTokens = output.promptTokens;
      return output;
    } catch (err) {
      const error = blame(err, slot?.signal);
      outcome = error.code;
      throw error;
    } finally {
      slot?.release();
      const event: RequestEndEvent = {
        op: "embed",
        modelId,
        caller,
        outcome,
        queueWaitMs,
        durationMs: performance.now() - calledAt,
      };
      if (promptTokens !== undefined) event.promptTokens = promptTokens;
      this.#report(event);
    }
  }

  /** Refuses new requests, lets queued and running ones finish for up to `deadlineMs` (default `30_000`), then fails the rest with DISPOSED and unloads. Idempotent. */
  close(deadlineMs = 30_000): Promise<void> {
    this.#closing ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([this.scheduler.close(), deadline]);
      clearTimeout(timer);
      await this.destroy();
    })();
    return this.#closing;
  }

  /** Fails everything queued or running with DISPOSED and unloads now. Idempotent. */
  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      this.scheduler.destroy();
      // Producers end at once on the aborted signals; a bound guards against a stuck native call.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.scheduler.idle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1_000);
        }),
      ]);
      clearTimeout(timer);
      await this.host.destroy();
    })();
    return this.#destroying;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#generate(
    modelId: string,
    params: GenerateParams,
    request: RequestOptions = {},
    engineOptions?: GenerateOptions,
  ): AsyncGenerator<GenerateEvent> {
    this.validate(params);
    const calledAt = performance.now();
    const base = {
      op: "generate" as const,
      mode: params.messages === undefined ? ("prompt" as const) : ("chat" as const),
      modelId,
      caller: request.caller ?? "anonymous",
    };
    let slot: Slot;
    try {
      slot = await this.#acquire("generate", modelId, modelId, request);
    } catch (err) {
      const error = blame(err, undefined);
      this.#report({
        ...base,
        outcome: error.code,
        queueWaitMs: undefined,
        durationMs: performance.now() - calledAt,
      });
      throw error;
    }
    let outcome: RequestEndEvent["outcome"] = "ABORTED";
    let stats: GenerateStats | undefined;
    const stop = new AbortController();
    const channel = new EventChannel<GenerateEvent>();
    let delivered = false;
    const producer = this.#trace("decode", { "sluice.model": modelId }, () =>
      this.host.run(
        modelId,
        async (engine, signal) => {
          const link = linkSignals(signal, stop.signal);
          try {
            for await (const event of engine.generate(params, link.signal, engineOptions)) {
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
      ),
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
      const error = blame(err, slot.signal);
      outcome = error.code;
      throw error;
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
      this.#report(event);
    }
  }

  async #acquire(
    op: DispatchEvent["op"],
    lane: string,
    modelId: string,
    request: RequestOptions,
  ): Promise<Slot> {
    const slot = await this.#trace("queue", { "sluice.model": modelId }, () =>
      this.scheduler.acquire(lane, request),
    );
    try {
      this.#options.onDispatch?.({ op, modelId, caller: slot.caller, waitedMs: slot.waitedMs });
    } catch {
      // An observer must never fail a request.
    }
    return slot;
  }

  #trace<T>(
    stage: RuntimeStage,
    attributes: Record<string, string | number>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const trace = this.#options.trace;
    return trace ? trace(stage, fn, attributes) : fn();
  }

  #report(event: RequestEndEvent): void {
    try {
      this.#options.onRequestEnd?.(event);
    } catch {
      // A metrics hook must never fail a request.
    }
  }
}

/**
 * The error a request ends with, naming the right party: an engine that saw
 * its signal abort says ABORTED, but when the slot was aborted by the
 * request deadline (TIMEOUT) or by a shutdown (DISPOSED), that is the answer.
 */
function blame(err: unknown, slotSignal: AbortSignal | undefined): SluiceError {
  const error = isSluiceError(err) ? err : toSluiceError(err);
  if (error.code !== "ABORTED" || !slotSignal?.aborted) return error;
  const reason: unknown = slotSignal.reason;
  return isSluiceError(reason) ? reason : error;
}

function notRetryable(err: unknown): SluiceError {
  const e = isSluiceError(err) ? err : toSluiceError(err);
  if (!e.retryable) return e;
  return errorFromCode(e.code, e.message, { cause: e, details: e.details, retryable: false });
}
