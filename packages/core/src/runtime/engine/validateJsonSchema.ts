import { InvalidInputError } from "../../errors/index.ts";

/** Deepest nesting of objects and arrays a `jsonSchema` may have. */
export const MAX_JSON_SCHEMA_DEPTH = 64;
/** Most objects, arrays and values a `jsonSchema` may hold in all. */
export const MAX_JSON_SCHEMA_NODES = 20_000;
/** Longest key or string value in a `jsonSchema`, in characters. */
export const MAX_JSON_SCHEMA_STRING = 4_096;

function tooComplex(message: string, details: Record<string, unknown>): never {
  throw new InvalidInputError(`jsonSchema ${message}`, {
    details: { field: "jsonSchema", reason: "schema_too_complex", ...details },
  });
}

/**
 * Checks a JSON schema's shape before anything serializes, hashes or
 * compiles it: depth, size and string lengths within limits, no cycles, only
 * JSON values. The walk keeps its own stack, so a schema nested 100,000
 * levels deep is refused, never a stack overflow. Throws INVALID_INPUT.
 */
export function validateJsonSchema(schema: unknown): void {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    throw new InvalidInputError("jsonSchema must be an object", { details: { field: "jsonSchema" } });
  const onPath = new Set<object>();
  // Each entry is a value and its depth; `exit` entries close an object so cycles are told from shared parts.
  const stack: Array<{ value: unknown; depth: number; exit?: object }> = [{ value: schema, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth, exit } = stack.pop() as { value: unknown; depth: number; exit?: object };
    if (exit) {
      onPath.delete(exit);
      continue;
    }
    if (++nodes > MAX_JSON_SCHEMA_NODES)
      tooComplex(`has more than ${MAX_JSON_SCHEMA_NODES} values`, { limit: MAX_JSON_SCHEMA_NODES });
    if (value === null || typeof value === "boolean") continue;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) tooComplex("holds a number that is not finite", {});
      continue;
    }
    if (typeof value === "string") {
      if (value.length > MAX_JSON_SCHEMA_STRING)
        tooComplex(`has a string longer than ${MAX_JSON_SCHEMA_STRING} characters`, {
          limit: MAX_JSON_SCHEMA_STRING,
        });
      continue;
    }
    if (typeof value !== "object") tooComplex(`holds a ${typeof value}, which is not JSON`, {});
    if (depth > MAX_JSON_SCHEMA_DEPTH)
      tooComplex(`is nested deeper than ${MAX_JSON_SCHEMA_DEPTH} levels`, { limit: MAX_JSON_SCHEMA_DEPTH });
    if (onPath.has(value)) tooComplex("contains a cycle", {});
    onPath.add(value);
    stack.push({ value: undefined, depth, exit: value });
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.length > MAX_JSON_SCHEMA_STRING)
        tooComplex(`has a key longer than ${MAX_JSON_SCHEMA_STRING} characters`, {
          limit: MAX_JSON_SCHEMA_STRING,
        });
      // An absent optional field is not a value; JSON would drop it too.
      if (item !== undefined) stack.push({ value: item, depth: depth + 1 });
    }
  }
}
