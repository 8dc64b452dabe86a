import type { LlamaModel, Token } from "node-llama-cpp";
import type { TokenLogprob } from "../engine/index.ts";

/** Most alternatives a request may ask for per token (OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;
/** What a probability of 0 (a token masked by the grammar or a filter) reports instead of -Infinity. */
const MASKED_LOGPROB = -9999;

/**
 * What the decoding loop asks node-llama-cpp for, per step, to fill a
 * collector: nothing beyond the confidence (the chosen token's probability)
 * when no alternatives are wanted, otherwise the `top` most probable tokens.
 * `topProbabilities` is Sluice's patch of the addon: the list is partially
 * sorted natively instead of the whole vocabulary being sorted and copied into
 * JS on every step (greedy decoding keeps every token a candidate). An addon
 * without the patch ignores it and returns the whole list, of which the
 * collector reads the same first `top`.
 */
export function logprobMetadata(collector: LogprobCollector | undefined): {
  probabilities: boolean;
  topProbabilities?: number;
} {
  if (collector === undefined || collector.top === 0) return { probabilities: false };
  return { probabilities: true, topProbabilities: collector.top };
}

/**
 * Turns the probabilities the decoding loop reads for each step (the
 * distribution llama.cpp sampled from, after the sampler's filters) into
 * OpenAI-shaped log-probabilities. Token texts are cached per collector.
 */
export class LogprobCollector {
  readonly #model: LlamaModel;
  /** Alternatives listed per token (0 to MAX_TOP_LOGPROBS). */
  readonly top: number;
  readonly #texts = new Map<Token, string>();
  readonly entries: TokenLogprob[] = [];
  #sent = 0;

  constructor(model: LlamaModel, top: number) {
    this.#model = model;
    this.top = Math.max(0, Math.min(MAX_TOP_LOGPROBS, Math.floor(top)));
  }

  add(token: Token, probabilities: Map<Token, number> | undefined, confidence: number | undefined): void {
    const top: TokenLogprob["top"] = [];
    if (probabilities && this.top > 0) {
      for (const [t, p] of probabilities) {
        if (top.length >= this.top) break;
        top.push(this.#entry(t, p));
      }
    }
    const p = probabilities?.get(token) ?? confidence ?? 0;
    this.entries.push({ ...this.#entry(token, p), top });
  }

  /** Entries added since the last call (to ride on the next streamed event). */
  takeNew(): TokenLogprob[] {
    const out = this.entries.slice(this.#sent);
    this.#sent = this.entries.length;
    return out;
  }

  #entry(token: Token, probability: number): { token: string; logprob: number; bytes: number[] } {
    let text = this.#texts.get(token);
    if (text === undefined) {
      text = this.#model.detokenize([token], true);
      this.#texts.set(token, text);
    }
    const logprob = probability > 0 ? Math.log(probability) : MASKED_LOGPROB;
    return { token: text, logprob: Math.max(MASKED_LOGPROB, logprob), bytes: [...Buffer.from(text, "utf8")] };
  }
}
