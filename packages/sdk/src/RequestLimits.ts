import { type GenerateParams, InvalidInputError, LIMIT_DEFAULTS } from "@sluice/core";

/** Request limits the SDK enforces before any queueing or model work. */
export interface RequestLimitValues {
  /** Longest prompt, conversation (all message texts together) or embedding text, in characters. Defaults to `LIMIT_DEFAULTS.maxInputChars` (`32768`). */
  maxInputChars: number;
  /** Most tokens one request may ask to generate. Defaults to `LIMIT_DEFAULTS.maxTokens` (`2048`). */
  maxTokens: number;
  /** Tokens generated when a request sets no limit. Defaults to `LIMIT_DEFAULTS.defaultMaxTokens` (`256`). */
  defaultMaxTokens: number;
  /** Most texts in one embed call. Defaults to `LIMIT_DEFAULTS.maxEmbeddingInputs` (`64`). */
  maxEmbeddingInputs: number;
}

const NAMES = ["maxInputChars", "maxTokens", "defaultMaxTokens", "maxEmbeddingInputs"] as const;

/**
 * The request limits with the defaults filled in, checked.
 *
 * @throws RangeError naming the first invalid value.
 */
export function checkedRequestLimits(values: Partial<RequestLimitValues> = {}): RequestLimitValues {
  return checked({
    maxInputChars: values.maxInputChars ?? LIMIT_DEFAULTS.maxInputChars,
    maxTokens: values.maxTokens ?? LIMIT_DEFAULTS.maxTokens,
    defaultMaxTokens: values.defaultMaxTokens ?? LIMIT_DEFAULTS.defaultMaxTokens,
    maxEmbeddingInputs: values.maxEmbeddingInputs ?? LIMIT_DEFAULTS.maxEmbeddingInputs,
  });
}

function checked(values: RequestLimitValues): RequestLimitValues {
  for (const name of NAMES) {
    const v = values[name];
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new RangeError(`limits.${name} must be an integer >= 1, got ${v}`);
  }
  if (values.defaultMaxTokens > values.maxTokens)
    throw new RangeError(
      `limits.defaultMaxTokens must be at most limits.maxTokens (${values.maxTokens}), got ${values.defaultMaxTokens}`,
    );
  return values;
}

function fail(field: string, message: string, details: Record<string, unknown>): never {
  throw new InvalidInputError(`${field} ${message}`, { details: { field, ...details } });
}

/**
 * The live request limits: read on every request, so `update()` (a hot
 * reload) applies to the next request without a restart.
 */
export class RequestLimits {
  #values: RequestLimitValues;

  constructor(values: Partial<RequestLimitValues> = {}) {
    this.#values = checkedRequestLimits(values);
  }

  /** The limits in effect now. */
  get values(): Readonly<RequestLimitValues> {
    return this.#values;
  }

  /**
   * Replaces some limits; the others keep their values.
   *
   * @throws RangeError naming an invalid value (the old limits stay).
   */
  update(values: Partial<RequestLimitValues>): void {
    this.#values = checked({ ...this.#values, ...values });
  }

  /**
   * Checks a generation against the limits and fills in the default token
   * limit, so the engine never falls back to a limit of its own.
   *
   * @throws InvalidInputError naming the field over its limit.
   */
  applyGenerate(params: GenerateParams): GenerateParams {
    const { maxTokens, maxInputChars, defaultMaxTokens } = this.#values;
    if (params.maxTokens !== undefined && params.maxTokens > maxTokens)
      fail("maxTokens", `must be at most ${maxTokens}`, { value: params.maxTokens, limit: maxTokens });
    const chars = inputChars(params);
    if (chars > maxInputChars)
      fail(
        params.prompt !== undefined ? "prompt" : "messages",
        `must be at most ${maxInputChars} characters`,
        {
          chars,
          limit: maxInputChars,
        },
      );
    return params.maxTokens === undefined ? { ...params, maxTokens: defaultMaxTokens } : params;
  }

  /** @throws InvalidInputError when there are too many texts or one is too long. */
  checkEmbed(texts: readonly string[]): void {
    const { maxEmbeddingInputs, maxInputChars } = this.#values;
    if (Array.isArray(texts) && texts.length > maxEmbeddingInputs)
      fail("texts", `must have at most ${maxEmbeddingInputs} entries`, {
        count: texts.length,
        limit: maxEmbeddingInputs,
      });
    if (!Array.isArray(texts)) return;
    texts.forEach((t, i) => {
      if (typeof t === "string" && t.length > maxInputChars)
        fail(`texts[${i}]`, `must be at most ${maxInputChars} characters`, {
          chars: t.length,
          limit: maxInputChars,
        });
    });
  }
}

/** Characters of a prompt, or of every text part of a conversation. */
function inputChars(params: GenerateParams): number {
  if (typeof params.prompt === "string") return params.prompt.length;
  let total = 0;
  for (const m of Array.isArray(params.messages) ? params.messages : []) {
    if (typeof m?.content === "string") total += m.content.length;
    else if (Array.isArray(m?.content))
      for (const part of m.content as Array<{ type?: string; text?: unknown }>)
        if (typeof part?.text === "string") total += part.text.length;
  }
  return total;
}
