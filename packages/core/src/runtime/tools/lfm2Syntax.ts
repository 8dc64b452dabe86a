import { ToolCallSyntaxError } from "./errors.ts";

/**
 * LFM2's tool-calling conventions, as its chat template and training use them:
 * tool definitions as a JSON list between the tool-list markers in the system
 * turn, calls as a Python-style list between the tool-call markers, and tool
 * results between the tool-response markers.
 */
export const LFM2_TOOL_MARKERS = {
  listStart: "<|tool_list_start|>",
  listEnd: "<|tool_list_end|>",
  callStart: "<|tool_call_start|>",
  callEnd: "<|tool_call_end|>",
  responseStart: "<|tool_response_start|>",
  responseEnd: "<|tool_response_end|>",
} as const;

/** A call without an id: what the markup itself holds. */
export interface ParsedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` can be written as a keyword argument (and so as a tool parameter). */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A JSON value as a Python literal: `True`/`False`/`None`, double-quoted strings, lists, dicts. */
export function renderPythonValue(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "None";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(renderPythonValue).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${renderPythonValue(v)}`)
      .join(", ")}}`;
  return "None";
}

/** Calls as LFM2 writes them: `<|tool_call_start|>[f(a=1), g()]<|tool_call_end|>`. */
export function renderToolCalls(calls: readonly ParsedToolCall[]): string {
  const list = calls
    .map(
      (c) =>
        `${c.name}(${Object.entries(c.arguments)
          .map(([k, v]) => `${k}=${renderPythonValue(v)}`)
          .join(", ")})`,
    )
    .join(", ");
  return `${LFM2_TOOL_MARKERS.callStart}[${list}]${LFM2_TOOL_MARKERS.callEnd}`;
}

/**
 * Parses the text between the tool-call markers: a Python-style list of calls
 * with keyword arguments whose values are Python or JSON literals. A single call
 * without brackets is accepted too. Throws ToolCallSyntaxError, never anything else.
 */
export function parseToolCalls(source: string): ParsedToolCall[] {
  return new Parser(source).calls();
}

const MAX_DEPTH = 64;

class Parser {
  #i = 0;
  readonly #s: string;

  constructor(source: string) {
    this.#s = source;
  }

  calls(): ParsedToolCall[] {
    this.#ws();
    const out: ParsedToolCall[] = [];
    if (this.#peek() === "[") {
      this.#i++;
      this.#ws();
      while (this.#peek() !== "]") {
        out.push(this.#call());
        this.#ws();
        if (this.#peek() === ",") {
          this.#i++;
          this.#ws();
        } else if (this.#peek() !== "]") this.#fail("expected , or ] after a call");
      }
      this.#i++;
    } else out.push(this.#call());
    this.#ws();
    if (this.#i < this.#s.length) this.#fail("unexpected text after the calls");
    if (out.length === 0) this.#fail("the list holds no calls");
    return out;
  }

  #call(): ParsedToolCall {
    const name = this.#name(/[A-Za-z0-9_.-]/);
    this.#ws();
    this.#expect("(");
    const args: Record<string, unknown> = {};
    this.#ws();
    while (this.#peek() !== ")") {
      const key = this.#name(/[A-Za-z0-9_]/);
      if (!isIdentifier(key)) this.#fail(`argument name ${key} is not an identifier`);
      if (Object.hasOwn(args, key)) this.#fail(`argument ${key} is given twice`);
      this.#ws();
      this.#expect("=");
      this.#ws();
      args[key] = this.#value(0);
      this.#ws();
      if (this.#peek() === ",") {
        this.#i++;
        this.#ws();
      } else if (this.#peek() !== ")") this.#fail("expected , or ) after an argument");
    }
    this.#i++;
    return { name, arguments: args };
  }

  #value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.#fail("arguments are nested too deeply");
    const c = this.#peek();
    if (c === '"' || c === "'") return this.#string();
    if (c === "[" || c === "(") return this.#list(depth, c === "[" ? "]" : ")");
    if (c === "{") return this.#dict(depth);
    if (c !== undefined && /[-+0-9.]/.test(c)) return this.#number();
    const word = this.#name(/[A-Za-z]/);
    const literals: Record<string, unknown> = {
      True: true,
      False: false,
      None: null,
      true: true,
      false: false,
      null: null,
    };
    if (!Object.hasOwn(literals, word)) this.#fail(`unknown value ${word || "(nothing)"}`);
    return literals[word];
  }

  #list(depth: number, close: string): unknown[] {
    this.#i++;
    const out: unknown[] = [];
    this.#ws();
    while (this.#peek() !== close) {
      out.push(this.#value(depth + 1));
      this.#ws();
      if (this.#peek() === ",") {
        this.#i++;
        this.#ws();
      } else if (this.#peek() !== close) this.#fail(`expected , or ${close} in a list`);
    }
    this.#i++;
    return out;
  }

  #dict(depth: number): Record<string, unknown> {
    this.#i++;
    const out: Record<string, unknown> = {};
    this.#ws();
    while (this.#peek() !== "}") {
      const c = this.#peek();
      if (c !== '"' && c !== "'") this.#fail("dictionary keys must be strings");
      const key = this.#string();
      this.#ws();
      this.#expect(":");
      this.#ws();
      // defineProperty: a key named __proto__ must stay data, not change the object's prototype.
      Object.defineProperty(out, key, {
        value: this.#value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.#ws();
      if (this.#peek() === ",") {
        this.#i++;
        this.#ws();
      } else if (this.#peek() !== "}") this.#fail("expected , or } in a dictionary");
    }
    this.#i++;
    return out;
  }

  #string(): string {
    const quote = this.#s[this.#i++] as string;
    let out = "";
    for (;;) {
      const c = this.#s[this.#i++];
      if (c === undefined) this.#fail("unterminated string");
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.#s[this.#i++];
      const simple: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        b: "\b",
        f: "\f",
        "0": "\0",
        "\\": "\\",
        "/": "/",
        '"': '"',
        "'": "'",
      };
      if (e !== undefined && Object.hasOwn(simple, e)) out += simple[e];
      else if (e === "u" || e === "x") {
        const n = e === "u" ? 4 : 2;
        const hex = this.#s.slice(this.#i, this.#i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.#fail("bad escape in a string");
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.#i += n;
      } else this.#fail("bad escape in a string");
    }
  }

  #number(): number {
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.#s.slice(this.#i));
    if (!m) this.#fail("bad number");
    this.#i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.#fail("number out of range");
    return n;
  }

  #name(allowed: RegExp): string {
    const start = this.#i;
    while (this.#i < this.#s.length && allowed.test(this.#s[this.#i] as string)) this.#i++;
    if (this.#i === start) this.#fail("expected a name");
    return this.#s.slice(start, this.#i);
  }

  #expect(c: string): void {
    if (this.#peek() !== c) this.#fail(`expected ${c}`);
    this.#i++;
  }

  #peek(): string | undefined {
    return this.#s[this.#i];
  }

  #ws(): void {
    while (this.#i < this.#s.length && /\s/.test(this.#s[this.#i] as string)) this.#i++;
  }

  #fail(reason: string): never {
    throw new ToolCallSyntaxError(`tool call markup: ${reason} at offset ${this.#i}`, this.#i);
  }
}
