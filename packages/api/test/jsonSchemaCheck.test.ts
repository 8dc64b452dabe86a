// checkJsonSchema is what stands between a client's response_format schema and
// the grammar compiler: every refusal names the field and the place, and what
// it accepts comes back as the grammar will read it.
import { isSluiceError } from "@sluice/core";
import { describe, expect, it } from "vitest";
import { checkJsonSchema, MAX_JSON_SCHEMA_DEPTH, MAX_JSON_SCHEMA_NODES } from "../src/index.ts";

/** The refusal of `schema`: its message and details (fails the test when it is accepted). */
function refusal(schema: unknown): { message: string; path: unknown } {
  try {
    checkJsonSchema(schema);
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    expect(err.code).toBe("INVALID_INPUT");
    const details = err.details as { field: unknown; path: unknown };
    expect(details.field).toBe("response_format.json_schema");
    return { message: err.message, path: details.path };
  }
  throw new Error(`accepted ${JSON.stringify(schema)}`);
}

const nested = (depth: number): Record<string, unknown> =>
  depth === 0 ? { type: "string" } : { type: "array", items: nested(depth - 1) };

describe("checkJsonSchema", () => {
  it.each([
    ["a non-object schema", "string", "", "a schema must be an object"],
    ["an array schema", [{ type: "string" }], "", "a schema must be an object"],
    [
      "a keyword the grammar drops",
      { type: "string", pattern: "^a" },
      "",
      "keyword pattern can not be enforced",
    ],
    ["allOf", { allOf: [{ type: "string" }] }, "", "keyword allOf can not be enforced"],
    ["an unknown type", { type: "date" }, "/type", '"date" is not a JSON schema type'],
    ["an empty type list", { type: [] }, "/type", "[] is not a JSON schema type"],
    ["a non-string type", { type: 3 }, "/type", "3 is not a JSON schema type"],
    ["object in a type list", { type: ["string", "object"] }, "/type", "a list of types may only hold"],
    ["an empty oneOf", { oneOf: [] }, "/oneOf", "must be a non-empty array"],
    ["a non-array anyOf", { anyOf: { type: "string" } }, "/anyOf", "must be a non-empty array"],
    ["an empty prefixItems", { type: "array", prefixItems: [] }, "/prefixItems", "must be a non-empty array"],
    ["an empty enum", { enum: [] }, "/enum", "must be a non-empty array"],
    ["a non-array enum", { enum: "a" }, "/enum", "must be a non-empty array"],
    ["non-object properties", { type: "object", properties: [] }, "/properties", "must be an object"],
    ["non-object $defs", { $defs: [] }, "/$defs", "must be an object"],
    ["a format it can not enforce", { type: "string", format: "email" }, "/format", "only the formats"],
    ["a non-string format", { type: "string", format: 1 }, "/format", "only the formats"],
    ["a remote $ref", { $ref: "https://example.com/s.json" }, "/$ref", "only references to #/$defs/"],
    ["a $ref to a missing def", { $ref: "#/$defs/nope" }, "/$ref", "only references to #/$defs/"],
    ["a non-string $ref", { $ref: 7 }, "/$ref", "only references to #/$defs/"],
    [
      "oneOf with anyOf",
      { oneOf: [{ type: "string" }], anyOf: [{ type: "null" }] },
      "",
      "oneOf and anyOf together",
    ],
    [
      "a bad subschema deep in properties",
      { type: "object", properties: { a: { type: "array", items: { type: "string", minimum: 1 } } } },
      "/properties/a/items",
      "keyword minimum can not be enforced",
    ],
    [
      "a bad subschema in additionalProperties",
      { type: "object", additionalProperties: { type: "nope" } },
      "/additionalProperties/type",
      "is not a JSON schema type",
    ],
    [
      "a bad $defs entry",
      { $defs: { item: { type: "string", not: {} } }, $ref: "#/$defs/item" },
      "/$defs/item",
      "keyword not can not be enforced",
    ],
  ])("refuses %s, naming where", (_, schema, path, message) => {
    const r = refusal(schema);
    expect(r.path).toBe(path);
    expect(r.message).toContain(message);
    expect(r.message.startsWith("response_format.json_schema: ")).toBe(true);
  });

  it(`refuses schemas nested deeper than ${MAX_JSON_SCHEMA_DEPTH} levels and accepts that depth`, () => {
    expect(checkJsonSchema(nested(MAX_JSON_SCHEMA_DEPTH))).toEqual(nested(MAX_JSON_SCHEMA_DEPTH));
    const r = refusal(nested(MAX_JSON_SCHEMA_DEPTH + 1));
    expect(r.message).toContain(`nested deeper than ${MAX_JSON_SCHEMA_DEPTH} levels`);
    expect(r.path).toBe(`${"/items".repeat(MAX_JSON_SCHEMA_DEPTH + 1)}`);
  });

  it(`refuses more than ${MAX_JSON_SCHEMA_NODES} subschemas, however shallow`, () => {
    const wide = (n: number) => ({
      type: "object",
      properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string" }])),
    });
    // The root is a subschema too.
    expect(() => checkJsonSchema(wide(MAX_JSON_SCHEMA_NODES - 1))).not.toThrow();
    expect(refusal(wide(MAX_JSON_SCHEMA_NODES)).message).toContain(
      `more than ${MAX_JSON_SCHEMA_NODES} subschemas`,
    );
  });

  it("returns what the grammar reads: anyOf as oneOf, everything else as given", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "order",
      description: "an order",
      type: "object",
      $defs: { sku: { type: "string", minLength: 3, maxLength: 12 } },
      properties: {
        sku: { $ref: "#/$defs/sku" },
        qty: { type: "integer", default: 1, examples: [1, 2] },
        when: { type: "string", format: "date-time" },
        note: { anyOf: [{ type: "string" }, { type: "null" }] },
        kind: { enum: ["a", "b"] },
        fixed: { const: "x" },
        pair: {
          type: "array",
          prefixItems: [{ type: "number" }, { type: "boolean" }],
          minItems: 2,
          maxItems: 2,
        },
        maybe: { type: ["string", "null"] },
        extra: {
          type: "object",
          additionalProperties: { type: "number" },
          minProperties: 0,
          maxProperties: 4,
        },
      },
      required: ["sku", "qty"],
      additionalProperties: false,
    };
    const out = checkJsonSchema(schema);
    const expected = structuredClone(schema) as Record<string, unknown>;
    const props = expected.properties as Record<string, Record<string, unknown>>;
    props.note = { oneOf: [{ type: "string" }, { type: "null" }] };
    expect(out).toEqual(expected);
    // The caller's schema is not rewritten in place.
    expect((schema.properties.note as Record<string, unknown>).anyOf).toBeDefined();
  });

  it("resolves a $ref to a definition of an enclosing schema", () => {
    const schema = {
      $defs: { leaf: { type: "string" } },
      type: "object",
      properties: {
        inner: {
          $defs: { other: { type: "number" } },
          oneOf: [{ $ref: "#/$defs/leaf" }, { $ref: "#/$defs/other" }],
        },
      },
    };
    expect(checkJsonSchema(schema)).toEqual(schema);
    // A definition is visible inside the schema that declares it, not beside it.
    const sibling = {
      type: "object",
      properties: { a: { $defs: { x: { type: "string" } } }, b: { $ref: "#/$defs/x" } },
    };
    expect(refusal(sibling).path).toBe("/properties/b/$ref");
  });
});
