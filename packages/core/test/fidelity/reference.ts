// Raw node-llama-cpp, used the way its own users use it, as the reference
// Sluice's output is held to. Nothing here goes through Sluice.
import {
  type ChatHistoryItem,
  getLlama,
  LlamaChat,
  LlamaCompletion,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

/** One greedy step of the reference: the chosen token and the two most probable ones. */
export interface ReferenceStep {
  token: Token;
  /** Probability of the most probable token (the one greedy decoding chose). */
  p1: number;
  /** Probability of the runner-up. */
  p2: number;
  /** The twenty most probable tokens and their probabilities, from the whole distribution. */
  top: Array<[Token, number]>;
}

export interface ReferenceRun {
  promptTokens: Token[];
  tokens: Token[];
  steps: ReferenceStep[];
  text: string;
}

/**
 * Two tokens closer than this in probability are a near-tie: llama.cpp's CPU
 * kernels are not batch-invariant, so a sequence decoded beside others may pick
 * the runner-up there. Kernel rounding moves logits by ~1e-5 relative, far less.
 */
export const NEAR_TIE_EPSILON = 0.02;

/** Repetition penalties in node-llama-cpp's terms (llama.cpp's penalties sampler). */
export interface ReferencePenalties {
  penalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
}

export interface LoadOptions {
  contextSize: number;
  threads: number;
}

/** A model loaded straight through node-llama-cpp, one sequence, nothing shared with Sluice. */
export class RawModel {
  private constructor(
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  static async load(modelPath: string, options: LoadOptions): Promise<RawModel> {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: 1,
      threads: options.threads,
      batchSize: options.contextSize,
    });
    return new RawModel(model, context);
  }

  /** A raw prompt completed by LlamaCompletion, greedy; returns its text and tokens. */
  async completion(prompt: string, maxTokens: number): Promise<{ text: string; tokens: Token[] }> {
    const sequence = this.context.getSequence();
    try {
      const tokens: Token[] = [];
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const text = await completion.generateCompletion(prompt, {
        maxTokens,
        temperature: 0,
        onToken: (chunk) => tokens.push(...chunk),
      });
      completion.dispose({ disposeSequence: false });
      return { text, tokens };
    } finally {
      sequence.dispose();
    }
  }

  /** A chat answered by LlamaChat with the model's own template, greedy, no system prompt added. */
  async chat(
    messages: ReadonlyArray<{ role: "system" | "user"; content: string }>,
    maxTokens: number,
  ): Promise<{ text: string; tokens: Token[] }> {
    const sequence = this.context.getSequence();
    try {
      const chat = new LlamaChat({ contextSequence: sequence });
      const history: ChatHistoryItem[] = messages.map((m) =>
        m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content },
      );
      history.push({ type: "model", response: [] });
      const tokens: Token[] = [];
      const { response } = await chat.generateResponse(history, {
        maxTokens,
        temperature: 0,
        onToken: (chunk) => tokens.push(...chunk),
      });
      chat.dispose({ disposeSequence: false });
      return { text: response, tokens };
    } finally {
      sequence.dispose();
    }
  }

  /**
   * Greedy decoding of `prompt` (BOS prepended as LlamaCompletion does) with
   * node-llama-cpp's evaluate loop, recording the top-2 probabilities of every step;
   * with repetition penalties when given.
   */
  async greedy(prompt: string, maxTokens: number, penalties?: ReferencePenalties): Promise<ReferenceRun> {
    const promptTokens = this.model.tokenize(prompt);
    const bos = this.model.tokens.bos;
    if (bos != null && this.model.tokens.shouldPrependBosToken && promptTokens[0] !== bos)
      promptTokens.unshift(bos);
    const sequence = this.context.getSequence();
    const steps: ReferenceStep[] = [];
    try {
      const iterator = sequence.evaluateWithMetadata(
        promptTokens,
        { probabilities: true },
        {
          temperature: 0,
          // llama.cpp's penalties sampler over the last 64 generated tokens, as LlamaCompletion
          // sets it up, except that every generated token counts (LlamaCompletion counts only the
          // ones it has released as text, so a run of incomplete UTF-8 pieces goes unpunished).
          ...(penalties
            ? { repeatPenalty: { punishTokens: () => steps.slice(-64).map((s) => s.token), ...penalties } }
            : {}),
        },
      );
      for await (const step of iterator) {
        if (this.model.isEogToken(step.token)) break;
        let [p1, p2] = [0, 0];
        for (const p of step.probabilities.values()) {
          if (p > p1) [p1, p2] = [p, p1];
          else if (p > p2) p2 = p;
        }
        // node-llama-cpp's whole-vocabulary list, sorted by probability (this call asks for no limit).
        const top = [...step.probabilities.entries()].slice(0, 20);
        steps.push({ token: step.token, p1, p2, top });
        if (steps.length >= maxTokens) break;
      }
    } finally {
      sequence.dispose();
    }
    const tokens = steps.map((s) => s.token);
    return { promptTokens, tokens, steps, text: this.detokenize(promptTokens, tokens) };
  }

  /** An embedding from node-llama-cpp's own embedding context. */
  async embed(text: string): Promise<readonly number[]> {
    const embedder = await this.model.createEmbeddingContext({
      contextSize: this.context.contextSize,
      threads: this.context.currentThreads,
    });
    try {
      return (await embedder.getEmbeddingFor(text)).vector;
    } finally {
      await embedder.dispose();
    }
  }

  detokenize(promptTokens: readonly Token[], tokens: readonly Token[]): string {
    return this.model.detokenize(tokens, false, promptTokens);
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}

export interface Divergence {
  /** Index of the first generated token whose text the other output does not reproduce. */
  index: number;
  step: ReferenceStep;
  nearTie: boolean;
}

/**
 * Where `text` first departs from the reference continuation, and whether the
 * reference's top-2 probabilities there were a near-tie. Undefined when equal.
 */
export function firstDivergence(
  raw: RawModel,
  reference: ReferenceRun,
  text: string,
): Divergence | undefined {
  if (text === reference.text) return undefined;
  let common = 0;
  while (common < text.length && text[common] === reference.text[common]) common++;
  for (let k = 0; k < reference.tokens.length; k++) {
    const upTo = raw.detokenize(reference.promptTokens, reference.tokens.slice(0, k + 1));
    if (upTo.length > common) {
      const step = reference.steps[k] as ReferenceStep;
      return { index: k, step, nearTie: step.p1 - step.p2 <= NEAR_TIE_EPSILON };
    }
  }
  // The other output runs past the reference's end: the reference stopped on EOG at that step.
  return {
    index: reference.tokens.length,
    step: { token: -1 as Token, p1: 1, p2: 0, top: [] },
    nearTie: false,
  };
}

/** An assertion message that shows both continuations from the divergence on. */
export function describeDivergence(
  prompt: string,
  reference: ReferenceRun,
  text: string,
  d: Divergence,
): string {
  return [
    `output diverges from the solo reference at generated token ${d.index} ` +
      `(solo top-2 probabilities ${d.step.p1.toFixed(4)} / ${d.step.p2.toFixed(4)}: ` +
      `${d.nearTie ? "a near-tie" : "NOT a near-tie"})`,
    `prompt: ${JSON.stringify(prompt)}`,
    `solo:   ${JSON.stringify(reference.text)}`,
    `batched:${JSON.stringify(text)}`,
  ].join("\n");
}

/**
 * Embeddings of texts that shared a decode with others are llama.cpp's
 * vectors for those texts up to its batch-dependent rounding (its CPU kernels
 * sum in a different order for a batch of more rows), never another text's
 * vector: each is within this cosine distance of its own text's reference.
 * Measured on stories260K, eight texts per decode: at most 4.0e-7 (relative
 * L-infinity 3.9e-4); a text alone is bit-identical.
 */
export const BATCHED_EMBEDDING_COSINE_DISTANCE = 1e-5;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * Where batched embeddings fail that promise: for each vector, its cosine
 * distance to its own reference when over the bound, or the index of another
 * text's reference it is closer to. Empty when every vector keeps it.
 */
export function batchedEmbeddingFaults(
  got: ReadonlyArray<ArrayLike<number>>,
  want: ReadonlyArray<ArrayLike<number>>,
): string[] {
  const faults: string[] = [];
  got.forEach((v, i) => {
    const own = want[i];
    if (!own || v.length !== own.length) {
      faults.push(`${i}: length ${v.length}, reference ${own?.length}`);
      return;
    }
    const distance = 1 - cosine(v, own);
    if (!(distance <= BATCHED_EMBEDDING_COSINE_DISTANCE)) faults.push(`${i}: cosine distance ${distance}`);
    want.forEach((other, j) => {
      if (j !== i && 1 - cosine(v, other) < distance) faults.push(`${i}: closer to text ${j}'s reference`);
    });
  });
  return faults;
}
