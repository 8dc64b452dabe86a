import { describe, expect, it } from "vitest";
import { MAX_JSON_SCHEMA_DEPTH, MAX_JSON_SCHEMA_NODES, validateJsonSchema } from "./validateJsonSchema.ts";

function deep(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 1; i < depth; i++) schema = { not: schema };
  return schema;
}

describe("validateJsonSchema", () => {
  it("accepts a schema exactly as deep as the limit", () => {
    expect(() => validateJsonSchema(deep(MAX_JSON_SCHEMA_DEPTH))).not.toThrow();
  });

  it("refuses a schema one level deeper with INVALID_INPUT naming the field", () => {
    expect(() => validateJsonSchema(deep(MAX_JSON_SCHEMA_DEPTH + 1))).toThrow(
      expect.objectContaining({
        code: "INVALID_INPUT",
        details: expect.objectContaining({ field: "jsonSchema" }),
      }),
    );
  });

  it("refuses a 100,000-deep schema without overflowing the stack", () => {
    expect(() => validateJsonSchema(deep(100_000))).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
  });

  it("refuses a schema with more values than allowed, and a cycle", () => {
    const wide = { enum: Array.from({ length: MAX_JSON_SCHEMA_NODES }, (_, i) => i) };
    expect(() => validateJsonSchema(wide)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    const cyclic: Record<string, unknown> = { type: "object" };
    cyclic.properties = { self: cyclic };
    expect(() => validateJsonSchema(cyclic)).toThrow(/cycle/);
  });

  it("accepts a part shared by two properties (a DAG is not a cycle)", () => {
    const shared = { type: "string" };
    expect(() => validateJsonSchema({ properties: { a: shared, b: shared } })).not.toThrow();
  });
});
