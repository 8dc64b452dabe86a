import type { Llama, LlamaContext, LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { LlamaVocabularyType } from "node-llama-cpp";

/**
 * Something that turns token sequences into embedding vectors. An engine
 * keeps a pool of them; embed() packs its texts into calls within the limits.
 */
export interface Embedder {
  /** Most texts one call takes. */
  readonly maxTexts: number;
  /** Most tokens (BOS/EOS included) one call takes, all its texts together. */
  readonly maxTokens: number;
  /** One vector per input, in order. Inputs come from prepareEmbeddingInput. */
  embed(inputs: readonly Token[][]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Texts one batched embedding context takes per decode. */
export const EMBED_BATCH_SEQUENCES = 8;

/**
 * The tokens node-llama-cpp's embedding context evaluates for a text: BOS
 * and EOS (or SEP) added as llama.cpp's tokenizer would for the vocabulary.
 */
export function prepareEmbeddingInput(model: LlamaModel, tokens: readonly Token[]): Token[] {
  const out = [...tokens];
  const type = model.vocabularyType;
  const t = model.tokens;
  const begin =
    type === LlamaVocabularyType.rwkv || type === LlamaVocabularyType.ugm
      ? null
      : type === LlamaVocabularyType.wpm
        ? t.bos
        : t.shouldPrependBosToken
          ? t.bos
          : null;
  if (begin != null && out[0] !== begin) out.unshift(begin);
  const end =
    type === LlamaVocabularyType.rwkv
      ? null
      : type === LlamaVocabularyType.wpm
        ? t.sep
        : type === LlamaVocabularyType.ugm
          ? t.eos
          : t.shouldAppendEosToken
            ? t.eos
            : null;
  if (end != null && out.at(-1) !== end) out.push(end);
  return out;
}

/** The native context methods the batched embedder drives (node-llama-cpp's addon, as patched by Sluice). */
interface NativeEmbeddingContext {
  initBatch(size: number): void;
  addToBatch(
    sequenceId: number,
    firstTokenSequenceIndex: number,
    tokens: Uint32Array,
    logitIndexes: Uint32Array,
  ): Uint32Array;
  decodeBatch(): Promise<void>;
  disposeSequence(sequenceId: number): void;
  getBatchEmbedding(sequenceId: number, batchIndex: number, maxVectorSize?: number): Float64Array;
}

interface LlamaWithBindings {
  _bindings?: { AddonContext?: { prototype?: { getBatchEmbedding?: unknown } } };
}

/**
 * Whether the loaded binding can embed several texts per decode: Sluice's
 * patch of node-llama-cpp's addon (patches/, built by scripts/setup.sh) adds
 * `getBatchEmbedding`; the prebuilt binaries lack it.
 */
export function supportsBatchEmbedding(llama: Llama): boolean {
  const proto = (llama as unknown as LlamaWithBindings)._bindings?.AddonContext?.prototype;
  return typeof proto?.getBatchEmbedding === "function";
}

/** One text per decode, through node-llama-cpp's own embedding context (prebuilt binaries). */
export class SingleTextEmbedder implements Embedder {
  readonly maxTexts = 1;
  readonly maxTokens: number;
  readonly #context: LlamaEmbeddingContext;

  private constructor(context: LlamaEmbeddingContext, contextSize: number) {
    this.#context = context;
    // LlamaEmbeddingContext refuses an input as long as the context.
    this.maxTokens = contextSize - 1;
  }

  static async create(model: LlamaModel, options: EmbedderOptions): Promise<SingleTextEmbedder> {
    const context = await model.createEmbeddingContext({
      contextSize: options.contextSize,
      // A whole text must fit one batch for pooled embeddings.
      batchSize: options.contextSize,
      threads: options.threads,
      createSignal: options.signal,
    });
    return new SingleTextEmbedder(context, options.contextSize);
  }

  async embed(inputs: readonly Token[][]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const tokens of inputs)
      out.push(Float32Array.from((await this.#context.getEmbeddingFor(tokens)).vector));
    return out;
  }

  dispose(): Promise<void> {
    return this.#context.dispose();
  }
}

export interface EmbedderOptions {
  contextSize: number;
  threads: number;
  signal?: AbortSignal;
}

/**
 * Up to EMBED_BATCH_SEQUENCES texts per decode: one embedding context whose
 * sequences share one KV buffer (the patched addon unifies the KV cache of
 * multi-sequence embedding contexts), each text on its own sequence, its last
 * token an output; the texts of a call total at most `contextSize`. The
 * buffer holds `contextSize` tokens from 2,048 up (the default 4,096 included):
 * node-llama-cpp rounds each sequence's share up to 256 tokens, so a smaller
 * context gets 2,048 cells.
 */
export class BatchEmbedder implements Embedder {
  readonly maxTexts: number;
  readonly maxTokens: number;
  readonly #context: LlamaContext;
  readonly #native: NativeEmbeddingContext;
  #decodes = 0;

  private constructor(context: LlamaContext, sequences: number, contextSize: number) {
    this.#context = context;
    this.#native = (context as unknown as { _ctx: NativeEmbeddingContext })._ctx;
    this.maxTexts = sequences;
    this.maxTokens = contextSize;
  }

  static async create(model: LlamaModel, options: EmbedderOptions): Promise<BatchEmbedder> {
    const sequences = EMBED_BATCH_SEQUENCES;
    const context = await model.createContext({
      // node-llama-cpp sizes a context as sequences x contextSize; the unified cache shares it.
      contextSize: Math.ceil(options.contextSize / sequences),
      sequences,
      batchSize: options.contextSize,
      threads: options.threads,
      createSignal: options.signal,
      failedCreationRemedy: false,
      // node-llama-cpp's own embedding contexts are created this way (LlamaEmbeddingContext._create).
      ...({ _embeddings: true } as object),
    });
    return new BatchEmbedder(context, sequences, options.contextSize);
  }

  /** Decodes run so far: one per embed() call, whatever the number of its texts. */
  get decodes(): number {
    return this.#decodes;
  }

  async embed(inputs: readonly Token[][]): Promise<Float32Array[]> {
    const total = inputs.reduce((n, t) => n + t.length, 0);
    if (inputs.length === 0) return [];
    if (inputs.length > this.maxTexts || total > this.maxTokens || inputs.some((t) => t.length === 0))
      throw new RangeError(
        `an embedding batch takes 1 to ${this.maxTexts} non-empty texts of ${this.maxTokens} tokens in all, got ${inputs.length} of ${total}`,
      );
    const native = this.#native;
    native.initBatch(total);
    try {
      const outputs = inputs.map(
        (tokens, seq) =>
          native.addToBatch(seq, 0, Uint32Array.from(tokens), Uint32Array.of(tokens.length - 1))[0] as number,
      );
      this.#decodes++;
      await native.decodeBatch();
      return outputs.map((batchIndex, seq) => Float32Array.from(native.getBatchEmbedding(seq, batchIndex)));
    } finally {
      for (let seq = 0; seq < inputs.length; seq++) native.disposeSequence(seq);
    }
  }

  dispose(): Promise<void> {
    return this.#context.dispose();
  }
}

/** The best embedder the loaded binding offers. */
export function createEmbedder(llama: Llama, model: LlamaModel, options: EmbedderOptions): Promise<Embedder> {
  return supportsBatchEmbedding(llama)
    ? BatchEmbedder.create(model, options)
    : SingleTextEmbedder.create(model, options);
}
