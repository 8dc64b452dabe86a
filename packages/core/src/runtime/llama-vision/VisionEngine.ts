import { stat } from "node:fs/promises";
import {
  DisposedError,
  InferenceFailedError,
  InvalidInputError,
  isSluiceError,
  ModelUnsupportedError,
} from "../../errors/index.ts";
import type {
  Engine,
  EngineInfo,
  GenerateEvent,
  GenerateOptions,
  GenerateParams,
  GenerateStats,
} from "../engine/Engine.ts";
import { piecesFor } from "../engine/piecesFor.ts";
import { validateGenerateParams } from "../engine/validate.ts";
// Direct file imports: the llama barrel loads node-llama-cpp, which must never share a process with llama.node.
import { ConfidenceAccumulator } from "../llama/confidence.ts";
import { abortReason, ResourcePool } from "../llama/ResourcePool.ts";
import type { VisionPairInfo } from "./checkVisionPair.ts";
import { TokenChannel } from "./TokenChannel.ts";
import { type NativeVisionContext, openVisionContext, type VisionContextSettings } from "./visionContext.ts";
import { buildVisionRequest, type VisionRequest, type VisionRequestLimits } from "./visionPrompt.ts";

type CompletionResult = Awaited<ReturnType<NativeVisionContext["completion"]>>;

/** Poisoned contexts, referenced until the process ends so that their finaliser never runs. */
const POISONED: NativeVisionContext[] = [];

/**
 * Details of the error for a request that a poisoned engine refused before
 * starting it, when its owner replaces the process (`onPoisoned`): nothing of
 * the request ran, so RunnerEngine sends it once more, to the replacement.
 */
export const REFUSED_BEFORE_START = { started: false, retiring: true } as const;

/** Callbacks of a vision engine's owner. */
export interface VisionEngineHooks {
  /** After the native context is released on dispose. */
  onDispose?: () => Promise<void>;
  /** After a failed completion poisoned the native context (see VisionEngine). */
  onPoisoned?: (error: unknown) => void;
}

/** The one context of a vision engine; replaced in place when a failure poisons it. */
interface Slot {
  ctx: NativeVisionContext;
}

/**
 * A loaded vision model (text model + projector) over llama.node. Requests run
 * one at a time on one context, in arrival order. It contains the binding's
 * hazards: images are validated and the prompt is tokenized with its images
 * before a completion starts, so media errors never reach a completion.
 *
 * A completion that fails anyway poisons the native context: the binding keeps
 * a pointer to the freed worker, so every later call refuses ("Another
 * completion is in progress") and stopCompletion, release and the context's
 * finaliser touch freed memory (seen here as segfaults, even after opening a
 * fresh context in the same process). The engine therefore never touches that
 * context again, keeps it from being collected, becomes broken, and calls
 * `onPoisoned`: the vision runner exits there, and its supervisor starts a
 * fresh process.
 *
 * The binding also loses track of a completion that succeeded: it queues the
 * worker before it registers the hook that clears its "in progress" pointer,
 * so a completion that ends before the JS thread runs again (a one-token
 * completion on a loaded machine, such as the host's validation decode) leaves
 * the pointer set to the freed worker. The next completion is then refused
 * synchronously with "Another completion is in progress", before anything
 * runs. That refusal poisons the context too, but the request, and any queued
 * behind it, fail with REFUSED_BEFORE_START details, and the runner host
 * replays them on the replacement process. Created by VisionEngineFactory.
 */
export class VisionEngine implements Engine {
  readonly info: EngineInfo;
  readonly #limits: VisionRequestLimits;
  readonly #slot: Slot;
  readonly #pool: ResourcePool<Slot>;
  #busy = 0;
  #disposed = false;
  #disposing: Promise<void> | undefined;
  #poisoned = false;
  readonly #onDispose: (() => Promise<void>) | undefined;
  readonly #onPoisoned: ((error: unknown) => void) | undefined;

  /** @internal Use VisionEngineFactory.load. */
  constructor(
    ctx: NativeVisionContext,
    settings: VisionContextSettings,
    pair: VisionPairInfo,
    limits: VisionRequestLimits,
    fileSize: number,
    hooks: VisionEngineHooks = {},
  ) {
    this.#onDispose = hooks.onDispose;
    this.#onPoisoned = hooks.onPoisoned;
    this.#limits = limits;
    this.#slot = { ctx };
    this.#pool = new ResourcePool([this.#slot]);
    this.info = {
      modelPath: settings.modelPath,
      architecture: pair.architecture,
      contextSize: settings.contextSize,
      sequences: 1,
      trainContextSize: pair.trainContextSize,
      embeddingLength: pair.embeddingLength,
      fileSize,
    };
  }

  /** Opens the native context and wraps it. */
  static async open(
    settings: VisionContextSettings,
    pair: VisionPairInfo,
    limits: VisionRequestLimits,
    hooks: VisionEngineHooks = {},
  ): Promise<VisionEngine> {
    const { size } = await stat(settings.modelPath);
    const ctx = await openVisionContext(settings);
    return new VisionEngine(ctx, settings, pair, limits, size, hooks);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** True once a failed completion has poisoned the native context; the engine then refuses all work. */
  get poisoned(): boolean {
    return this.#poisoned;
  }

  busySequences(): number {
    return this.#busy;
  }

  generate(
    params: GenerateParams,
    signal?: AbortSignal,
    options?: GenerateOptions,
  ): AsyncGenerator<GenerateEvent> {
    return piecesFor(this.#generate(params, signal), options);
  }

  async *#generate(params: GenerateParams, signal: AbortSignal | undefined): AsyncGenerator<GenerateEvent> {
    const started = performance.now();
    this.#assertNotPoisoned();
    this.#assertOpen();
    validateGenerateParams(params);
    if (params.jsonSchema !== undefined)
      // The binding converts schemas to grammars outside any try/catch: a schema it
      // cannot convert terminates the process. Not worth a runner per bad request.
      throw new InvalidInputError("jsonSchema is not supported by the vision engine", {
        details: { field: "jsonSchema", reason: "unsupported-parameter" },
      });
    const request = await buildVisionRequest(params, this.#limits);
    const slot = await this.#pool.acquire(signal).catch((error: unknown) => {
      // Queued behind the request that found the context poisoned.
      this.#assertNotPoisoned();
      throw error;
    });
    this.#busy++;
    try {
      yield* this.#run(slot, request, params, started, signal);
    } finally {
      this.#busy--;
      this.#pool.release(slot);
    }
  }

  async *#run(
    slot: Slot,
    request: VisionRequest,
    params: GenerateParams,
    started: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<GenerateEvent> {
    const ctx = slot.ctx;
    const prompt =
      request.prompt ??
      ctx.getFormattedChat(request.messages ?? [], undefined, { jinja: true, add_generation_prompt: true })
        .prompt;
    const maxTokens = params.maxTokens ?? 256;
    const promptTokens = await this.#countTokens(ctx, prompt, request);
    if (promptTokens + maxTokens > this.info.contextSize)
      throw new InvalidInputError(
        `the prompt is ${promptTokens} tokens with its images; with maxTokens ${maxTokens} it exceeds the context of ${this.info.contextSize}`,
        {
          details: {
            field: request.prompt !== undefined ? "prompt" : "messages",
            tokens: promptTokens,
            maxTokens,
          },
        },
      );
    if (signal?.aborted) throw abortReason(signal);

    const channel = new TokenChannel<CompletionResult>();
    let firstAt = 0;
    const onToken = (token: { token: string }): void => {
      if (firstAt === 0) firstAt = performance.now();
      channel.push(token.token);
    };
    let completion: Promise<void>;
    let refused = false;
    try {
      completion = ctx.completion(this.#completionOptions(prompt, request, params, maxTokens), onToken).then(
        (result) => channel.end(result),
        (error: unknown) => channel.fail(error),
      );
    } catch (error) {
      // The binding also refuses synchronously, before anything runs: its "in progress"
      // pointer was left set (see the class comment), or bad sampling options.
      refused = true;
      channel.fail(error);
      completion = Promise.resolve();
    }
    const stop = (): void => ctx.stopCompletion();
    signal?.addEventListener("abort", stop, { once: true });
    let text = "";
    let failed = false;
    try {
      for await (const piece of channel) {
        text += piece;
        yield { type: "token", text: piece };
      }
    } catch (error) {
      failed = true;
      this.#poison(slot, error);
      if (isSluiceError(error)) throw error;
      throw refused
        ? new InferenceFailedError(
            "the vision binding refused to start the completion; the vision engine must be restarted",
            {
              cause: error,
              retryable: true,
              ...this.#refusedDetails(),
            },
          )
        : new InferenceFailedError("the vision completion failed; the vision engine must be restarted", {
            cause: error,
            retryable: true,
          });
    } finally {
      signal?.removeEventListener("abort", stop);
      if (!failed) {
        // The consumer may stop early: the context is free only once the completion has settled.
        stop();
        await completion;
      }
    }
    if (signal?.aborted) throw abortReason(signal);
    const result = channel.result;
    const ended = performance.now();
    const stats: GenerateStats = {
      promptTokens,
      generatedTokens: result.tokens_predicted,
      timeToFirstTokenMs: (firstAt || ended) - started,
      decodeMs: firstAt === 0 ? 0 : ended - firstAt,
      finishReason: result.interrupted ? "abort" : result.tokens_predicted >= maxTokens ? "length" : "stop",
    };
    if (params.confidence) {
      const acc = new ConfidenceAccumulator();
      for (const step of result.completion_probabilities ?? []) {
        const chosen = step.probs.find((p) => p.tok_str === step.content) ?? step.probs[0];
        if (chosen) acc.add(chosen.prob);
      }
      stats.confidence = acc.stats();
    }
    yield { type: "done", text: result.text ?? text, stats };
  }

  #completionOptions(prompt: string, request: VisionRequest, params: GenerateParams, maxTokens: number) {
    return {
      prompt,
      media_paths: request.media,
      n_predict: maxTokens,
      temperature: params.temperature ?? 0.8,
      ...(params.topK !== undefined ? { top_k: params.topK } : {}),
      ...(params.topP !== undefined ? { top_p: params.topP } : {}),
      ...(params.seed !== undefined ? { seed: params.seed } : {}),
      ...(params.repeatPenalty !== undefined ? { penalty_repeat: params.repeatPenalty } : {}),
      ...(params.stop !== undefined ? { stop: params.stop } : {}),
      ...(params.confidence ? { n_probs: 1 } : {}),
    };
  }

  /** Tokens of the prompt with its images, from the binding's own tokenizer (which runs the image preprocessor). */
  async #countTokens(ctx: NativeVisionContext, prompt: string, request: VisionRequest): Promise<number> {
    try {
      const result = await ctx.tokenize(
        prompt,
        request.media.length > 0 ? { media_paths: request.media } : {},
      );
      return result.tokens.length;
    } catch (error) {
      throw new InvalidInputError(`an image could not be decoded: ${(error as Error).message}`, {
        cause: error,
        details: { field: "messages", reason: "undecodable" },
      });
    }
  }

  /** Retires a poisoned context for good: no further native call on it, ever. */
  #poison(slot: Slot, error: unknown): void {
    this.#poisoned = true;
    this.#disposed = true;
    POISONED.push(slot.ctx);
    this.#pool.dispose();
    this.#onPoisoned?.(error);
  }

  async embed(): Promise<Float32Array[]> {
    throw new ModelUnsupportedError("the vision engine does not compute embeddings", {
      details: { modelPath: this.info.modelPath },
    });
  }

  async tokenize(text: string): Promise<number[]> {
    this.#assertOpen();
    const result = await this.#slot.ctx.tokenize(text);
    return [...result.tokens];
  }

  /** Waits for the running request, then releases the native context. Idempotent. */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      this.#disposed = true;
      const slot = await this.#pool.acquire().catch(() => this.#slot);
      this.#pool.dispose();
      if (!this.#poisoned) await slot.ctx.release().catch(() => {});
      await this.#onDispose?.();
    })();
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #assertOpen(): void {
    if (this.#disposed) throw new DisposedError("the vision engine is disposed");
  }

  /** A poisoned engine refuses new and queued requests before they start. */
  #assertNotPoisoned(): void {
    if (this.#poisoned)
      throw new InferenceFailedError("the vision context is poisoned; the vision engine must be restarted", {
        retryable: true,
        ...this.#refusedDetails(),
      });
  }

  /** REFUSED_BEFORE_START when the owner replaces the process, so that the request can be replayed there. */
  #refusedDetails(): { details?: typeof REFUSED_BEFORE_START } {
    return this.#onPoisoned ? { details: REFUSED_BEFORE_START } : {};
  }
}
