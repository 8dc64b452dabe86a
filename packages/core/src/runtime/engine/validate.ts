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

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses text that is not well-formed Unicode. JSON's `\uD800` escapes and
 * JavaScript callers can hand over half a surrogate pair; converted to UTF-8
 * for the tokenizer it would silently become U+FFFD, so the model would read
 * something other than what was sent. The value is the code unit's index.
 */
function checkWellFormed(field: string, text: string): void {
  const lone = LONE_SURROGATE.exec(text);
  if (lone) fail(field, `is not well-formed Unicode: a lone surrogate at index ${lone.index}`, lone.index);
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
    checkWellFormed("prompt", params.prompt);
  } else {
    const messages = params.messages;
    if (!Array.isArray(messages) || messages.length === 0) fail("messages", "must be a non-empty array");
    messages.forEach((m, i) => {
      if (m === null || typeof m !== "object") fail(`messages[${i}]`, "must be an object");
      if (m.role !== "system" && m.role !== "user" && m.role !== "assistant" && m.role !== "tool")
        fail(`messages[${i}].role`, "must be system, user, assistant or tool", m.role);
      if (m.toolCalls !== undefined) {
        if (m.role !== "assistant")
          fail(`messages[${i}].toolCalls`, "are only allowed on assistant messages");
        checkToolCalls(`messages[${i}].toolCalls`, m.toolCalls);
        if (m.content === "") return;
      }
      // A model may answer nothing or only whitespace, and clients send the history back as
      // they received it: an assistant turn may be blank, any other turn must say something.
      const empty =
        typeof m.content === "string"
          ? m.role !== "assistant" && m.content.trim().length === 0
          : !Array.isArray(m.content) || m.content.length === 0;
      if (empty) fail(`messages[${i}].content`, "must not be empty");
      if (typeof m.content === "string") checkWellFormed(`messages[${i}].content`, m.content);
      else
        m.content.forEach((part, j) => {
          if (
            part !== null &&
            typeof part === "object" &&
            part.type === "text" &&
            typeof part.text === "string"
          )
            checkWellFormed(`messages[${i}].content[${j}].text`, part.text);
        });
    });
    // Blank assistant turns are history; a conversation of nothing else asks nothing.
    if (
      messages.every(
        (m) =>
          m.role === "assistant" &&
          typeof m.content === "string" &&
          m.content.trim() === "" &&
          m.toolCalls === undefined,
      )
    )
      fail("messages", "must not all be blank");
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
      checkWellFormed(`stop[${i}]`, s);
    });
  }
  if (params.jsonSchema !== undefined) validateJsonSchema(params.jsonSchema);
  if (params.keepState !== undefined && typeof params.keepState !== "boolean")
    fail("keepState", "must be a boolean", params.keepState);
  if (params.confidence !== undefined && typeof params.confidence !== "boolean")
    fail("confidence", "must be a boolean", params.confidence);
  checkNumber("logprobs", params.logprobs, 0, 20, true);
  checkNumber("frequencyPenalty", params.frequencyPenalty, -2, 2, false);
  checkNumber("presencePenalty", params.presencePenalty, -2, 2, false);
  checkTools(params);
}

/** Most tools one request may define. */
export const MAX_TOOLS = 128;
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function checkToolCalls(field: string, calls: unknown): void {
  if (!Array.isArray(calls) || calls.length > MAX_TOOLS)
    fail(field, `must be an array of at most ${MAX_TOOLS} calls`);
  calls.forEach((c, j) => {
    if (c === null || typeof c !== "object") fail(`${field}[${j}]`, "must be an object");
    if (typeof c.name !== "string" || !TOOL_NAME.test(c.name))
      fail(`${field}[${j}].name`, "must be 1 to 64 letters, digits, _ . or -", c.name);
    if (c.arguments === null || typeof c.arguments !== "object" || Array.isArray(c.arguments))
      fail(`${field}[${j}].arguments`, "must be an object");
  });
}

function checkTools(params: GenerateParams): void {
  const { tools, toolChoice } = params;
  if (tools !== undefined) {
    if (params.prompt !== undefined) fail("tools", "need chat messages, not a prompt");
    if (!Array.isArray(tools) || tools.length > MAX_TOOLS)
      fail("tools", `must be an array of at most ${MAX_TOOLS} tools`);
    const names = new Set<string>();
    tools.forEach((t, i) => {
      if (t === null || typeof t !== "object") fail(`tools[${i}]`, "must be an object");
      if (typeof t.name !== "string" || !TOOL_NAME.test(t.name))
        fail(`tools[${i}].name`, "must be 1 to 64 letters, digits, _ . or -", t.name);
      if (names.has(t.name)) fail(`tools[${i}].name`, "is defined twice", t.name);
      names.add(t.name);
      if (t.parameters !== undefined && (t.parameters === null || typeof t.parameters !== "object"))
        fail(`tools[${i}].parameters`, "must be a JSON schema object");
    });
  }
  if (toolChoice === undefined) return;
  const named = typeof toolChoice === "object" && toolChoice !== null;
  if (!named && toolChoice !== "none" && toolChoice !== "auto" && toolChoice !== "required")
    fail("toolChoice", "must be none, auto, required or { name }", toolChoice);
  if ((named || toolChoice === "required") && (tools?.length ?? 0) === 0)
    fail("toolChoice", "needs tools to choose from", toolChoice);
  if (named && !tools?.some((t) => t.name === toolChoice.name))
    fail("toolChoice", "names a function that is not among the tools", toolChoice.name);
  if ((named || toolChoice === "required") && params.jsonSchema !== undefined)
    fail("toolChoice", "can not force a call and a JSON schema at once");
}

/** Checks an embed call's texts: a non-empty array of non-empty strings. */
export function validateEmbedTexts(texts: readonly string[]): void {
  if (!Array.isArray(texts) || texts.length === 0) fail("texts", "must be a non-empty array");
  if (texts.length > MAX_EMBED_TEXTS) fail("texts", `has more than ${MAX_EMBED_TEXTS} entries`, texts.length);
  texts.forEach((t, i) => {
    if (typeof t !== "string" || t.trim().length === 0) fail(`texts[${i}]`, "must be a non-empty string", t);
    checkWellFormed(`texts[${i}]`, t);
  });
}
