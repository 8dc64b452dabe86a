import { InvalidInputError } from "../../errors/index.ts";
import type { ToolChoice, ToolDefinition } from "../engine/Engine.ts";
import { isIdentifier, LFM2_TOOL_MARKERS, renderPythonValue } from "./lfm2Syntax.ts";

/** Deepest schema nesting a tool's parameters may have. */
export const MAX_TOOL_SCHEMA_DEPTH = 16;
/** Most grammar rules all tools together may need (bounds the work of compiling them). */
export const MAX_TOOL_GRAMMAR_RULES = 2048;
/** Most calls one forced answer may hold (bounds a model that would list calls forever). */
export const MAX_PARALLEL_TOOL_CALLS = 8;
/** Longest string or number the grammar lets the model write when the schema sets no limit. */
const DEFAULT_MAX_CHARS = 256;

type Schema = Record<string, unknown>;

/** A tool's schema that can not become a grammar; `field` names it in the caller's terms. */
function bad(field: string, message: string): never {
  throw new InvalidInputError(`${field} ${message}`, { details: { field } });
}

function gbnfLiteral(text: string): string {
  return JSON.stringify(text);
}

/**
 * Builds a GBNF grammar that only admits LFM2 tool-call markup calling the
 * given tools with arguments that match their JSON schemas (Python literals:
 * `True`/`False`/`None`, double-quoted strings). Enforced: types, properties,
 * `required`, `enum`, `const`, `anyOf`/`oneOf`, `items`, `minItems`/`maxItems`,
 * `maxLength`. Not enforced: numeric ranges, `pattern`, `format`. `$ref` is
 * refused. Strings and numbers without a limit are capped at 256 characters so
 * that even a model with random weights closes them, and a forced answer holds
 * at most MAX_PARALLEL_TOOL_CALLS calls. Throws InvalidInputError
 * naming `tools[i].parameters…`.
 */
export function buildToolGrammar(
  tools: readonly ToolDefinition[],
  choice: Exclude<ToolChoice, "none" | "auto">,
  parallel: boolean,
): string {
  const b = new GrammarBuilder();
  const selected = typeof choice === "object" ? tools.filter((t) => t.name === choice.name) : tools;
  if (selected.length === 0) bad("toolChoice", `names a function that is not among the tools`);
  const calls = tools.map((tool, i) => {
    const field = `tools[${i}].parameters`;
    const args = b.arguments(tool.parameters ?? { type: "object", properties: {} }, field);
    return b.rule(`call${i}`, `${gbnfLiteral(`${tool.name}(`)} ${args} ")"`);
  });
  const allowed = selected.map((t) => calls[tools.indexOf(t)] as string);
  const call = b.rule("call", allowed.join(" | "));
  const list = parallel ? `${call} ("," " " ${call}){0,${MAX_PARALLEL_TOOL_CALLS - 1}}` : call;
  b.rule(
    "root",
    `${gbnfLiteral(`${LFM2_TOOL_MARKERS.callStart}[`)} ${list} ${gbnfLiteral(`]${LFM2_TOOL_MARKERS.callEnd}`)}`,
  );
  return b.text();
}

/** Checks every tool's schema the way buildToolGrammar would, without keeping the grammar. */
export function checkToolSchemas(tools: readonly ToolDefinition[]): void {
  buildToolGrammar(tools, "required", true);
}

class GrammarBuilder {
  readonly #rules = new Map<string, string>();
  #next = 0;

  rule(name: string, body: string): string {
    if (this.#rules.size >= MAX_TOOL_GRAMMAR_RULES)
      bad("tools", `need more than ${MAX_TOOL_GRAMMAR_RULES} grammar rules; simplify their schemas`);
    const unique = this.#rules.has(name) ? `${name}-${this.#next++}` : name;
    this.#rules.set(unique, body);
    return unique;
  }

  text(): string {
    const shared = [
      `char ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])`,
      `digits ::= [0-9]{1,15}`,
    ];
    return [...[...this.#rules].map(([n, b]) => `${n} ::= ${b}`), ...shared].join("\n");
  }

  /** `key=value, key=value` for an object schema: required properties always, optional ones may be left out. */
  arguments(schema: Schema, field: string): string {
    if (!isPlainObject(schema)) bad(field, "must be a JSON schema object");
    if (schema.type !== undefined && schema.type !== "object") bad(field, 'must have type "object"');
    const entries = this.#properties(schema, field).map(([key, value, required]) => {
      if (!isIdentifier(key)) bad(`${field}.properties.${key}`, "must be named like an identifier");
      return { body: `${gbnfLiteral(`${key}=`)} ${value}`, required };
    });
    return this.#sequence(entries, ", ", "args");
  }

  #properties(schema: Schema, field: string): Array<[string, string, boolean]> {
    const props = schema.properties ?? {};
    if (!isPlainObject(props)) bad(`${field}.properties`, "must be an object");
    const required = schema.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== "string"))
      bad(`${field}.required`, "must be an array of strings");
    return Object.entries(props).map(([key, sub]) => [
      key,
      this.value(sub, `${field}.properties.${key}`, 1),
      required.includes(key),
    ]);
  }

  /** Items joined by `sep`, where optional items may be absent; 2n small rules, never 2^n alternatives. */
  #sequence(items: Array<{ body: string; required: boolean }>, sep: string, name: string): string {
    if (items.length === 0) return '""';
    const base = `${name}${this.#next++}`;
    // from(i, first): the items from i on, `first` when nothing was written yet (no separator due).
    const ruleName = (i: number, first: boolean) => `${base}-${i}${first ? "f" : "n"}`;
    for (let i = items.length; i >= 0; i--) {
      for (const first of [true, false]) {
        if (i === items.length) {
          this.rule(ruleName(i, first), '""');
          continue;
        }
        const item = items[i] as { body: string; required: boolean };
        const take = `${first ? "" : `${gbnfLiteral(sep)} `}${item.body} ${ruleName(i + 1, false)}`;
        this.rule(ruleName(i, first), item.required ? take : `(${take}) | ${ruleName(i + 1, first)}`);
      }
    }
    return ruleName(0, true);
  }

  value(schema: unknown, field: string, depth: number): string {
    if (depth > MAX_TOOL_SCHEMA_DEPTH) bad(field, `is nested deeper than ${MAX_TOOL_SCHEMA_DEPTH} levels`);
    if (schema === true || (isPlainObject(schema) && Object.keys(schema).length === 0))
      return this.#any(depth);
    if (!isPlainObject(schema)) bad(field, "must be a JSON schema object");
    if (schema.$ref !== undefined) bad(field, "uses $ref, which tool grammars do not support");
    if (schema.const !== undefined) return gbnfLiteral(renderPythonValue(schema.const));
    if (schema.enum !== undefined) {
      if (!Array.isArray(schema.enum) || schema.enum.length === 0)
        bad(`${field}.enum`, "must be a non-empty array");
      return `(${schema.enum.map((v) => gbnfLiteral(renderPythonValue(v))).join(" | ")})`;
    }
    const union = schema.anyOf ?? schema.oneOf;
    if (union !== undefined) {
      const key = schema.anyOf !== undefined ? "anyOf" : "oneOf";
      if (!Array.isArray(union) || union.length === 0) bad(`${field}.${key}`, "must be a non-empty array");
      return `(${union.map((s, i) => this.value(s, `${field}.${key}[${i}]`, depth + 1)).join(" | ")})`;
    }
    const type = schema.type;
    if (Array.isArray(type))
      return `(${type.map((t) => this.value({ ...schema, type: t }, field, depth)).join(" | ")})`;
    switch (type) {
      case "string":
        return `"\\"" char{0,${limit(schema.maxLength, field, "maxLength")}} "\\""`;
      case "integer":
        return `"-"? digits`;
      case "number":
        return `"-"? digits ("." digits)? ([eE] [-+]? [0-9]{1,3})?`;
      case "boolean":
        return `("True" | "False")`;
      case "null":
        return `"None"`;
      case "array": {
        // A rule of its own: the item appears twice below, and inlining it would double the
        // grammar at every level of nesting (llama.cpp refused three levels of arrays).
        const item = this.rule("item", this.value(schema.items ?? {}, `${field}.items`, depth + 1));
        const min = limit(schema.minItems ?? 0, field, "minItems", 0);
        const max = schema.maxItems === undefined ? undefined : limit(schema.maxItems, field, "maxItems", 0);
        if (max !== undefined && max < min) bad(`${field}.maxItems`, "is below minItems");
        if (max === 0) return `"[]"`;
        if (max === 1) return min === 0 ? `"[" ${item}? "]"` : `"[" ${item} "]"`;
        const rest = `("," " " ${item}){${Math.max(0, min - 1)},${max === undefined ? "" : max - 1}}`;
        const body = `${item} ${rest}`;
        return min === 0 ? `"[" (${body})? "]"` : `"[" ${body} "]"`;
      }
      case "object": {
        const entries = this.#properties(schema, field).map(([key, value, required]) => ({
          body: `${gbnfLiteral(`${JSON.stringify(key)}: `)} ${value}`,
          required,
        }));
        return `"{" ${this.#sequence(entries, ", ", "obj")} "}"`;
      }
      case undefined:
        return this.#any(depth);
      default:
        return bad(`${field}.type`, `is ${JSON.stringify(type)}, not a JSON schema type`);
    }
  }

  #any(depth: number): string {
    // Any literal, nested a few levels at most, so the grammar stays finite.
    const scalar = `("\\"" char{0,${DEFAULT_MAX_CHARS}} "\\"" | "-"? digits | "True" | "False" | "None")`;
    if (depth >= 4) return scalar;
    const inner = this.#any(depth + 1);
    const name = this.rule(`any${depth}`, `${scalar} | "[" (${inner} ("," " " ${inner})*)? "]"`);
    return name;
  }
}

function limit(value: unknown, field: string, key: string, min = 0): number {
  if (value === undefined) return DEFAULT_MAX_CHARS;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    bad(`${field}.${key}`, "must be a non-negative integer");
  return Math.min(value, DEFAULT_MAX_CHARS * 16);
}

function isPlainObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
