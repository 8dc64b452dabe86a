import { InvalidInputError } from "../../errors/index.ts";
import type { GenerateParams } from "./Engine.ts";
import { validateJsonSchema } from "./validateJsonSchema.ts";

/** Most stop strings one request may give. */
export const MAX_STOP_STRINGS = 16;
/** Most texts one embed call may give. */
export const MAX_EMBED_TEXTS = 2048;

function fail(field: string, message: string, value?: unknown): never {
  throw new InvalidInputError(`${field} ${message}`, { details: { field, value: safeValue(value) } });
}

function safeValue(value: unknown): unknown {
  if (typeof value === "string") return value.length > 64 ? `${value.slice(0, 64)}…` : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  return typeof value;
}

function checkNumber(field: string, value: unknown, min: number, max: number, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value)) fail(field, "must be a finite number", value);
  if (integer && !Number.isInteger(value)) fail(field, "must be an integer", value);
  if (value < min || value > max) fail(field, `must be between ${min} and ${max}`, value);
}

/**
 * Checks everything about a generation request that needs no model: shape,
 * emptiness and parameter ranges. Throws InvalidInputError naming the field.
 * The engine checks the prompt's token length against its context itself.
 */
export function validateGenerateParams(params: GenerateParams): void {
  if (typeof params !== "object" || params === null) fail("params", "must be an object", params);
  const hasPrompt = params.prompt !== undefined;
  const hasMessages = params.messages !== undefined;
  if (hasPrompt === hasMessages) fail("params", "need exactly one of prompt and messages");
  if (hasPrompt) {
    if (typeof params.prompt !== "string") fail("prompt", "must be a string", params.prompt);
    if (params.prompt.trim().length === 0) fail("prompt", "must not be empty", params.prompt);
  } else {
    const messages = params.messages;
    if (!Array.isArray(messages) || messages.length === 0) fail("messages", "must be a non-empty array");
    messages.forEach((m, i) => {
      if (m === null || typeof m !== "object") fail(`messages[${i}]`, "must be an object");
      if (m.role !== "system" && m.role !== "user" && m.role !== "assistant")
        fail(`messages[${i}].role`, "must be system, user or assistant", m.role);
      const empty =
        typeof m.content === "string"
          ? m.content.trim().length === 0
          : !Array.isArray(m.content) || m.content.length === 0;
      if (empty) fail(`messages[${i}].content`, "must not be empty");
    });
  }
  checkNumber("maxTokens", params.maxTokens, 1, 1 << 20, true);
  checkNumber("temperature", params.temperature, 0, 2, false);
  checkNumber("topP", params.topP, 0, 1, false);
  if (params.topP === 0) fail("topP", "must be greater than 0", 0);
  checkNumber("topK", params.topK, 0, 1 << 20, true);
  checkNumber("seed", params.seed, 0, 0xffff_ffff, true);
  checkNumber("repeatPenalty", params.repeatPenalty, 0, 2, false);
  if (params.repeatPenalty === 0) fail("repeatPenalty", "must be greater than 0", 0);
  if (params.stop !== undefined) {
    if (!Array.isArray(params.stop)) fail("stop", "must be an array of strings");
    if (params.stop.length > MAX_STOP_STRINGS) fail("stop", `has more than ${MAX_STOP_STRINGS} entries`);
    params.stop.forEach((s, i) => {
      if (typeof s !== "string" || s.length === 0 || s.length > 256)
        fail(`stop[${i}]`, "must be a string of 1 to 256 characters", s);
    });
  }
  if (params.jsonSchema !== undefined) validateJsonSchema(params.jsonSchema);
  if (params.confidence !== undefined && typeof params.confidence !== "boolean")
    fail("confidence", "must be a boolean", params.confidence);
}

/** Checks an embed call's texts: a non-empty array of non-empty strings. */
export function validateEmbedTexts(texts: readonly string[]): void {
  if (!Array.isArray(texts) || texts.length === 0) fail("texts", "must be a non-empty array");
  if (texts.length > MAX_EMBED_TEXTS) fail("texts", `has more than ${MAX_EMBED_TEXTS} entries`, texts.length);
  texts.forEach((t, i) => {
    if (typeof t !== "string" || t.trim().length === 0) fail(`texts[${i}]`, "must be a non-empty string", t);
  });
}
