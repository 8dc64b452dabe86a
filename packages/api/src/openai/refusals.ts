import { InvalidInputError } from "@sluice/core";

type Check = (value: unknown) => boolean;

const present: Check = (v) => v !== undefined && v !== null;
const notOne: Check = (v) => present(v) && v !== 1;
const nonEmptyObject: Check = (v) =>
  present(v) && (typeof v !== "object" || Object.keys(v as object).length > 0);

/**
 * OpenAI request fields that change what the answer is and that Sluice does not
 * implement, with the values that would need them. A request using one gets
 * INVALID_INPUT naming the field, as vLLM does, instead of an answer that
 * silently ignores it. Unknown fields that are not OpenAI's stay ignored.
 */
const CHAT: Record<string, Check> = {
  n: notOne,
  audio: present,
  modalities: (v) => present(v) && !(Array.isArray(v) && v.every((m) => m === "text")),
  functions: present,
  function_call: present,
  logit_bias: nonEmptyObject,
  prediction: present,
  reasoning_effort: present,
  verbosity: present,
  web_search_options: present,
  store: (v) => v === true,
};

const COMPLETIONS: Record<string, Check> = {
  n: notOne,
  best_of: notOne,
  suffix: (v) => present(v) && v !== "",
  logit_bias: nonEmptyObject,
};

const EMBEDDINGS: Record<string, Check> = {};

const TABLES = { chat: CHAT, completions: COMPLETIONS, embeddings: EMBEDDINGS };

/** The fields each endpoint refuses (for the docs and tests). */
export const REFUSED_FIELDS: Readonly<Record<keyof typeof TABLES, readonly string[]>> = {
  chat: Object.keys(CHAT),
  completions: Object.keys(COMPLETIONS),
  embeddings: Object.keys(EMBEDDINGS),
};

/** Throws INVALID_INPUT naming the first refused field the body uses. */
export function refuseUnsupported(endpoint: keyof typeof TABLES, body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  for (const [field, refused] of Object.entries(TABLES[endpoint])) {
    const value = (body as Record<string, unknown>)[field];
    if (refused(value))
      throw new InvalidInputError(
        `${field} is not supported by Sluice (${JSON.stringify(value).slice(0, 64)})`,
        {
          details: { field, reason: "unsupported_field" },
        },
      );
  }
}
