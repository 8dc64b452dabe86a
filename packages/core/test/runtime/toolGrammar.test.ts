// Tool grammars: every schema shape Sluice accepts compiles with llama.cpp's
// own grammar parser (through node-llama-cpp), and every shape it can not
// enforce is refused with INVALID_INPUT naming the schema's place.
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildToolGrammar,
  checkToolSchemas,
  isSluiceError,
  MAX_TOOL_GRAMMAR_RULES,
  MAX_TOOL_SCHEMA_DEPTH,
  type ToolDefinition,
} from "../../src/index.ts";

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
});

const tool = (parameters: unknown, name = "f"): ToolDefinition =>
  ({ name, description: "d", parameters }) as ToolDefinition;

function refusedField(tools: ToolDefinition[]): unknown {
  try {
    checkToolSchemas(tools);
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    expect(err.code).toBe("INVALID_INPUT");
    return (err.details as { field: unknown }).field;
  }
  throw new Error("accepted");
}

const nestedArray = (depth: number): unknown =>
  depth === 0 ? { type: "string" } : { type: "array", items: nestedArray(depth - 1) };

describe("tool grammars", () => {
  const shapes: Array<[string, unknown]> = [
    ["no parameters", undefined],
    ["an empty object", { type: "object", properties: {} }],
    ["a schema without a type", { properties: { a: { type: "string" } } }],
    [
      "every scalar type",
      {
        type: "object",
        properties: {
          s: { type: "string", maxLength: 8 },
          i: { type: "integer" },
          n: { type: "number" },
          b: { type: "boolean" },
          z: { type: "null" },
        },
        required: ["s", "i"],
      },
    ],
    [
      "arrays of every bound",
      {
        type: "object",
        properties: {
          none: { type: "array", maxItems: 0 },
          one: { type: "array", items: { type: "integer" }, maxItems: 1 },
          exactlyOne: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 1 },
          some: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 4 },
          open: { type: "array", items: { type: "number" } },
          atLeast: { type: "array", minItems: 3 },
        },
      },
    ],
    [
      "nested objects, enums, consts and unions",
      {
        type: "object",
        properties: {
          where: {
            type: "object",
            properties: { city: { type: "string" }, unit: { enum: ["C", "F", 1, null, true] } },
            required: ["city"],
          },
          kind: { const: "weather" },
          either: { anyOf: [{ type: "string" }, { type: "integer" }] },
          one: { oneOf: [{ type: "boolean" }, { type: "null" }] },
          many: { type: ["string", "null"] },
          anything: {},
          alsoAnything: true,
        },
        required: ["where", "kind"],
      },
    ],
    [
      "the deepest nesting allowed",
      { type: "object", properties: { a: nestedArray(MAX_TOOL_SCHEMA_DEPTH - 1) } },
    ],
  ];

  it.each(shapes)("compiles with llama.cpp's parser: %s", async (_, parameters) => {
    const tools = [tool(parameters), tool({ type: "object", properties: { q: { type: "string" } } }, "g")];
    for (const [choice, parallel] of [
      ["required", true],
      ["required", false],
      [{ name: "f" }, false],
    ] as const) {
      const grammar = buildToolGrammar(tools, choice, parallel);
      await expect(llama.createGrammar({ grammar })).resolves.toBeDefined();
    }
  });

  it("names only the chosen tool in a named choice, and refuses a name that is not a tool", () => {
    const tools = [tool(undefined, "get_time"), tool(undefined, "get_weather")];
    const grammar = buildToolGrammar(tools, { name: "get_weather" }, false);
    expect(grammar).toMatch(/^call ::= call1$/m);
    expect(() => buildToolGrammar(tools, { name: "nope" }, false)).toThrow(
      "toolChoice names a function that is not among the tools",
    );
  });

  it.each<[string, unknown, string]>([
    ["parameters that are not an object", "string", "tools[0].parameters"],
    ["parameters of another type", { type: "array" }, "tools[0].parameters"],
    [
      "properties that are not an object",
      { type: "object", properties: [] },
      "tools[0].parameters.properties",
    ],
    [
      "required that is not a list of names",
      { type: "object", required: [1] },
      "tools[0].parameters.required",
    ],
    [
      "a property that is not an identifier",
      { properties: { "a-b": { type: "string" } } },
      "tools[0].parameters.properties.a-b",
    ],
    ["a $ref", { properties: { a: { $ref: "#/$defs/x" } } }, "tools[0].parameters.properties.a"],
    ["an empty enum", { properties: { a: { enum: [] } } }, "tools[0].parameters.properties.a.enum"],
    ["an empty anyOf", { properties: { a: { anyOf: [] } } }, "tools[0].parameters.properties.a.anyOf"],
    [
      "a oneOf that is not a list",
      { properties: { a: { oneOf: {} } } },
      "tools[0].parameters.properties.a.oneOf",
    ],
    ["an unknown type", { properties: { a: { type: "date" } } }, "tools[0].parameters.properties.a.type"],
    ["a property schema that is a number", { properties: { a: 5 } }, "tools[0].parameters.properties.a"],
    [
      "maxItems below minItems",
      { properties: { a: { type: "array", minItems: 3, maxItems: 2 } } },
      "tools[0].parameters.properties.a.maxItems",
    ],
    [
      "a negative maxLength",
      { properties: { a: { type: "string", maxLength: -1 } } },
      "tools[0].parameters.properties.a.maxLength",
    ],
    [
      "a fractional minItems",
      { properties: { a: { type: "array", minItems: 1.5 } } },
      "tools[0].parameters.properties.a.minItems",
    ],
    [
      `nesting deeper than ${MAX_TOOL_SCHEMA_DEPTH} levels`,
      { properties: { a: nestedArray(MAX_TOOL_SCHEMA_DEPTH) } },
      `tools[0].parameters.properties.a${".items".repeat(MAX_TOOL_SCHEMA_DEPTH)}`,
    ],
  ])("refuses %s, naming it", (_, parameters, field) => {
    expect(refusedField([tool(parameters)])).toBe(field);
  });

  it(`refuses tools that would need more than ${MAX_TOOL_GRAMMAR_RULES} grammar rules`, () => {
    // Each optional property costs two sequence rules: enough of them overflow the budget.
    const properties = Object.fromEntries(
      Array.from({ length: 1100 }, (_, i) => [`p${i}`, { type: "integer" }]),
    );
    expect(refusedField([tool({ type: "object", properties })])).toBe("tools");
  });
});
