import type { LlamaModel, Token } from "node-llama-cpp";

const CONTEXT_TOKENS = 8;

/**
 * Decodes a growing token list in O(new tokens) per step instead of
 * re-decoding everything: tokens whose text is complete are committed, and
 * only the uncommitted tail is decoded, with the preceding tokens as
 * context so leading-space rules come out as in a full decode.
 */
export class IncrementalDetokenizer {
  readonly #model: LlamaModel;
  readonly #tokens: Token[] = [];
  #context: Token[];
  #committedText = "";
  #committed = 0;

  readonly #special: boolean;

  constructor(model: LlamaModel, promptTokens: readonly Token[], specialTokens = false) {
    this.#model = model;
    this.#special = specialTokens;
    this.#context = promptTokens.slice(-CONTEXT_TOKENS);
  }

  /** Adds a token; returns the full text so far. */
  push(token: Token): string {
    this.#tokens.push(token);
    const tail = this.#tokens.slice(this.#committed);
    const tailText = this.#model.detokenize(tail, this.#special, this.#context);
    // An unfinished multi-byte character stays in the tail until its last byte arrives.
    if (!tailText.endsWith("\uFFFD")) {
      this.#committedText += tailText;
      this.#committed = this.#tokens.length;
      this.#context = [...this.#context, ...tail].slice(-CONTEXT_TOKENS);
      return this.#committedText;
    }
    return this.#committedText + tailText;
  }
}
