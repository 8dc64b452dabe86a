import type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { LlamaGrammarEvaluationState } from "node-llama-cpp";
import { DisposedError, InferenceFailedError, InvalidInputError, isSluiceError } from "../../errors/index.ts";
import {
  type EmbedOptions,
  type Engine,
  type EngineInfo,
  type GenerateEvent,
  type GenerateOptions,
  type GenerateParams,
  validateEmbedTexts,
  validateGenerateParams,
} from "../engine/index.ts";
import { piecesFor } from "../engine/piecesFor.ts";
import { buildToolGrammar, extractToolCalls } from "../tools/index.ts";
import { renderChat } from "./chatPrompt.ts";
import { type Embedder, prepareEmbeddingInput } from "./embedders.ts";
import { ResourcePool } from "./ResourcePool.ts";
import { runGeneration } from "./runGeneration.ts";
import { type SequenceReuseStats, SequenceStore } from "./SequenceStore.ts";

/** What LlamaEngineFactory hands over; the engine owns and disposes all of it. */
export interface LlamaEngineParts {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Embedding contexts (see embedders.ts); all created with the same options. */
  embeddingContexts: Embedder[];
  info: EngineInfo;
  /** Keep finished requests' sequences for prompts that extend them. Defaults to `true`. */
  sequenceReuse?: boolean;
  /** See EngineLoadOptions.streamIntervalMs. Defaults to `0`. */
  streamIntervalMs?: number;
  /** Called once when the engine is disposed (e.g. to release the thread governor). */
  onDispose?: () => void;
}

const GRAMMAR_CACHE_SIZE = 16;

/**
 * A model loaded in this process. Generation: one context with N sequences;
 * each generate() takes a sequence from a SequenceStore, so concurrent calls
 * decode in the same batch, and a chat's next turn continues the sequence its
 * previous turn left (only the new messages are evaluated). Embeddings: a pool of embedding contexts shared first come,
 * first served by all concurrent embed() calls; each takes as many texts per decode as the binding allows.
 */
export class LlamaEngine implements Engine {
  readonly info: EngineInfo;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #sequences: SequenceStore;
  readonly #onDispose: (() => void) | undefined;
  readonly #streamIntervalMs: number;
  readonly #embedders: ResourcePool<Embedder> | undefined;
  readonly #embedLimits: { maxTexts: number; maxTokens: number } | undefined;
  readonly #grammars = new Map<string, Promise<LlamaGrammar>>();
  #disposing: Promise<void> | undefined;

  constructor(parts: LlamaEngineParts) {
    this.info = parts.info;
    this.#llama = parts.llama;
    this.#model = parts.model;
    this.#context = parts.context;
    const sequences: LlamaContextSequence[] = [];
    for (let i = 0; i < parts.info.sequences; i++) sequences.push(parts.context.getSequence());
    this.#sequences = new SequenceStore(sequences, { reuse: parts.sequenceReuse ?? true });
    this.#onDispose = parts.onDispose;
    this.#streamIntervalMs = parts.streamIntervalMs ?? 0;
    const first = parts.embeddingContexts[0];
    this.#embedders = first ? new ResourcePool(parts.embeddingContexts) : undefined;
    this.#embedLimits = first ? { maxTexts: first.maxTexts, maxTokens: first.maxTokens } : undefined;
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  busySequences(): number {
    return this.#sequences.busy;
  }

  /** Sequence reuse counters (hits, saved prompt tokens, evictions, kept sequences). */
  sequenceReuse(): SequenceReuseStats {
    return this.#sequences.stats();
  }

  /** Callers waiting for a free sequence (for tests and metrics). */
  waitingForSequence(): number {
    return this.#sequences.waiting;
  }

  async tokenize(text: string): Promise<number[]> {
    this.#assertAlive();
    return this.#model.tokenize(text);
  }

  generate(
    params: GenerateParams,
    signal?: AbortSignal,
    options?: GenerateOptions,
  ): AsyncIterable<GenerateEvent> {
    return {
      [Symbol.asyncIterator]: () =>
        piecesFor(this.#generate(params, signal, options?.stream !== false), options),
    };
  }

  async *#generate(
    params: GenerateParams,
    signal: AbortSignal | undefined,
    streamed: boolean,
  ): AsyncGenerator<GenerateEvent> {
    const startedAt = performance.now();
    this.#assertAlive();
    validateGenerateParams(params);
    const tools = params.toolChoice !== "none" && (params.tools?.length ?? 0) > 0 ? params.tools : undefined;
    const { tokens, stops } = this.#promptTokens(params, tools);
    const grammar = await this.#grammarFor(params, tools);
    const { sequence, reusedTokens } = await this.#sequences.acquire(tokens, signal);
    // Set only when the generation ran to its end: an aborted or failed request's state is cleared.
    let keep: readonly Token[] | undefined;
    try {
      const events = runGeneration({
        model: this.#model,
        sequence,
        promptTokens: tokens,
        reusedTokens,
        params,
        templateStops: stops,
        grammar,
        specialTokens: tools !== undefined,
        startedAt,
        signal,
        streamed,
        streamIntervalMs: this.#streamIntervalMs,
        onComplete: () => {
          if (params.keepState !== false) keep = sequence.contextTokens;
        },
      });
      yield* tools ? extractToolCalls(events) : events;
    } finally {
      this.#sequences.release(sequence, keep);
    }
  }

  /** Texts one embedding decode takes (1 with node-llama-cpp's prebuilt binaries); 0 without embedding contexts. */
  get embeddingBatchSize(): number {
    return this.#embedLimits?.maxTexts ?? 0;
  }

  // Every text of every concurrent call queues on one pool of embedding
  // contexts. A call's texts are packed, in order, into groups that one
  // context embeds in one decode (as many texts as its sequences, as many
  // tokens as its context); the groups spread over the pool.
  async embed(texts: string[], options: EmbedOptions = {}, signal?: AbortSignal): Promise<Float32Array[]> {
    this.#assertAlive();
    validateEmbedTexts(texts);
    const pool = this.#embedders;
    const limits = this.#embedLimits;
    if (!pool || !limits) throw new InvalidInputError("this engine was loaded without embedding contexts");
    const limit = this.info.contextSize - 2;
    const inputs = texts.map((text, i) => {
      const tokens = this.#model.tokenize(text);
      if (tokens.length > limit)
        throw new InvalidInputError(`texts[${i}] has ${tokens.length} tokens; the context holds ${limit}`, {
          details: { field: `texts[${i}]`, tokens: tokens.length, limit },
        });
      return prepareEmbeddingInput(this.#model, tokens);
    });
    const out: Float32Array[] = new Array(inputs.length);
    const groups: number[][] = [];
    let group: number[] = [];
    let groupTokens = 0;
    inputs.forEach((tokens, i) => {
      // A text with no tokens at all (no BOS for this vocabulary) has an empty vector, as in node-llama-cpp.
      if (tokens.length === 0) {
        out[i] = new Float32Array(0);
        return;
      }
      if (
        group.length > 0 &&
        (group.length >= limits.maxTexts || groupTokens + tokens.length > limits.maxTokens)
      ) {
        groups.push(group);
        group = [];
        groupTokens = 0;
      }
      group.push(i);
      groupTokens += tokens.length;
    });
    if (group.length > 0) groups.push(group);
    const normalize = options.normalize === true;
    await Promise.all(
      groups.map(async (indexes) => {
        const vectors = await this.#embedGroup(
          pool,
          indexes.map((i) => inputs[i] as Token[]),
          signal,
        );
        indexes.forEach((i, k) => {
          const v = vectors[k] as Float32Array;
          if (normalize) l2Normalize(v);
          out[i] = v;
        });
      }),
    );
    return out;
  }

  async #embedGroup(
    pool: ResourcePool<Embedder>,
    inputs: Token[][],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const embedder = await pool.acquire(signal);
    try {
      return await embedder.embed(inputs);
    } catch (err) {
      throw isSluiceError(err) ? err : new InferenceFailedError("embedding failed", { cause: err });
    } finally {
      pool.release(embedder);
    }
  }

  #promptTokens(
    params: GenerateParams,
    tools: GenerateParams["tools"],
  ): { tokens: Token[]; stops: string[] } {
    let tokens: Token[];
    let stops: string[] = [];
    if (params.prompt !== undefined) {
      tokens = this.#model.tokenize(params.prompt);
      const bos = this.#model.tokens.bos;
      if (bos != null && this.#model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    } else {
      ({ tokens, stops } = renderChat(this.#model, params.messages ?? [], tools));
    }
    // At least one position must stay free for the first generated token.
    if (tokens.length >= this.info.contextSize)
      throw new InvalidInputError(
        `the prompt has ${tokens.length} tokens; the context holds ${this.info.contextSize} per sequence`,
        { details: { field: params.prompt !== undefined ? "prompt" : "messages", tokens: tokens.length } },
      );
    return { tokens, stops };
  }

  /** A JSON-schema grammar, or for `required` and named tool choices one that only admits valid calls. */
  #grammarFor(
    params: GenerateParams,
    tools: GenerateParams["tools"],
  ): Promise<LlamaGrammarEvaluationState> | undefined {
    const choice = params.toolChoice ?? "auto";
    if (tools && choice !== "auto" && choice !== "none") {
      const text = buildToolGrammar(tools, choice, params.parallelToolCalls !== false);
      return this.#grammarState(`gbnf:${text}`, "tools", () => this.#llama.createGrammar({ grammar: text }));
    }
    const schema = params.jsonSchema;
    if (!schema) return undefined;
    return this.#grammarState(`json:${JSON.stringify(schema)}`, "jsonSchema", () =>
      this.#llama.createGrammarForJsonSchema(schema as never),
    );
  }

  async #grammarState(
    key: string,
    field: string,
    create: () => Promise<LlamaGrammar>,
  ): Promise<LlamaGrammarEvaluationState> {
    let grammar = this.#grammars.get(key);
    if (!grammar) {
      grammar = create();
      if (this.#grammars.size >= GRAMMAR_CACHE_SIZE) {
        const oldest = this.#grammars.keys().next().value;
        if (oldest !== undefined) this.#grammars.delete(oldest);
      }
      this.#grammars.set(key, grammar);
    }
    try {
      return new LlamaGrammarEvaluationState({ model: this.#model, grammar: await grammar });
    } catch (err) {
      this.#grammars.delete(key);
      throw new InvalidInputError(`${field} can not be turned into a grammar`, {
        cause: err,
        details: { field },
      });
    }
  }

  #assertAlive(): void {
    if (this.#disposing) throw new DisposedError(`the engine for ${this.info.modelPath} is disposed`);
  }

  /** Frees the contexts and the model. Idempotent; in-flight calls fail with DisposedError or end early. */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      this.#sequences.dispose();
      this.#embedders?.dispose();
      this.#onDispose?.();
      for (const e of this.#embedders?.items() ?? []) await e.dispose().catch(() => undefined);
      await this.#context.dispose().catch(() => undefined);
      await this.#model.dispose().catch(() => undefined);
    })();
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

function l2Normalize(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0) return;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
}
