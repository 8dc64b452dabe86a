import { InvalidInputError } from "@sluice/core";

/** Deepest nesting a response_format schema may have. */
export const MAX_JSON_SCHEMA_DEPTH = 32;
/** Most subschemas a response_format schema may hold. */
export const MAX_JSON_SCHEMA_NODES = 2000;

const FIELD = "response_format.json_schema";
const SCALARS = new Set(["string", "number", "integer", "boolean", "null"]);
const TYPES = new Set([...SCALARS, "object", "array"]);
const FORMATS = new Set(["date-time", "date", "time"]);
/** Keywords the grammar compiler enforces, or that carry no constraint. */
const KNOWN = new Set([
  "type",
  "description",
  "title",
  "default",
  "examples",
  "$schema",
  "$id",
  "$comment",
  "$defs",
  "$ref",
  "const",
  "enum",
  "oneOf",
  "anyOf",
  "properties",
  "required",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "format",
]);

function refuse(path: string, message: string): never {
  throw new InvalidInputError(`${FIELD}: ${message}${path ? ` at ${path}` : ""}`, {
    details: { field: FIELD, path },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks that a response_format schema compiles to a grammar that enforces
 * all of it, and returns it with `anyOf` spelled `oneOf` (the same alternatives
 * for a grammar, which node-llama-cpp only reads as `oneOf`). Keywords the
 * grammar would silently drop (`pattern`, `minimum`, `allOf`, …), types that do
 * not exist, `$ref`s outside `#/$defs/…`, and schemas deeper than
 * MAX_JSON_SCHEMA_DEPTH or larger than MAX_JSON_SCHEMA_NODES are refused with
 * INVALID_INPUT naming `response_format.json_schema`.
 */
export function checkJsonSchema(schema: unknown): Record<string, unknown> {
  let nodes = 0;
  const visit = (node: unknown, path: string, depth: number, defs: ReadonlySet<string>): unknown => {
    if (++nodes > MAX_JSON_SCHEMA_NODES) refuse("", `has more than ${MAX_JSON_SCHEMA_NODES} subschemas`);
    if (depth > MAX_JSON_SCHEMA_DEPTH) refuse(path, `is nested deeper than ${MAX_JSON_SCHEMA_DEPTH} levels`);
    if (!isObject(node)) refuse(path, "a schema must be an object");
    for (const key of Object.keys(node))
      if (!KNOWN.has(key)) refuse(path, `keyword ${key} can not be enforced by a grammar`);
    const scope = new Set(defs);
    const out: Record<string, unknown> = {};
    if (node.$defs !== undefined) {
      if (!isObject(node.$defs)) refuse(`${path}/$defs`, "must be an object");
      for (const name of Object.keys(node.$defs)) scope.add(name);
      out.$defs = Object.fromEntries(
        Object.entries(node.$defs).map(([k, v]) => [k, visit(v, `${path}/$defs/${k}`, depth + 1, scope)]),
      );
    }
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      switch (key) {
        case "$defs":
          break;
        case "$ref":
          if (typeof value !== "string" || !value.startsWith("#/$defs/") || !scope.has(value.slice(8)))
            refuse(at, "only references to #/$defs/<name> of this schema are supported");
          out.$ref = value;
          break;
        case "type": {
          const types = Array.isArray(value) ? value : [value];
          if (types.length === 0 || types.some((t) => typeof t !== "string" || !TYPES.has(t)))
            refuse(at, `${JSON.stringify(value)} is not a JSON schema type`);
          if (Array.isArray(value) && types.some((t) => !SCALARS.has(t as string)))
            refuse(at, "a list of types may only hold string, number, integer, boolean and null");
          out.type = value;
          break;
        }
        case "oneOf":
        case "anyOf":
        case "prefixItems":
          if (!Array.isArray(value) || value.length === 0) refuse(at, "must be a non-empty array");
          out[key === "anyOf" ? "oneOf" : key] = value.map((v, i) =>
            visit(v, `${at}/${i}`, depth + 1, scope),
          );
          break;
        case "properties":
          if (!isObject(value)) refuse(at, "must be an object");
          out.properties = Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, visit(v, `${at}/${k}`, depth + 1, scope)]),
          );
          break;
        case "items":
          out.items = visit(value, at, depth + 1, scope);
          break;
        case "additionalProperties":
          out.additionalProperties = typeof value === "boolean" ? value : visit(value, at, depth + 1, scope);
          break;
        case "enum":
          if (!Array.isArray(value) || value.length === 0) refuse(at, "must be a non-empty array");
          out.enum = value;
          break;
        case "format":
          if (typeof value !== "string" || !FORMATS.has(value))
            refuse(at, "only the formats date-time, date and time can be enforced");
          out.format = value;
          break;
        default:
          out[key] = value;
      }
    }
    if (node.oneOf !== undefined && node.anyOf !== undefined) refuse(path, "oneOf and anyOf together");
    return out;
  };
  return visit(schema, "", 0, new Set()) as Record<string, unknown>;
}
