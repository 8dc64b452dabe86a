import { InvalidInputError } from "@sluice/core";
import type { z } from "zod";

/** Dotted/bracketed path of an issue, e.g. `messages[0].content`. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A zod failure as INVALID_INPUT naming the first bad field and listing all of them. */
export function zodToInvalidInput(error: unknown): InvalidInputError {
  const issues = ((error as z.ZodError).issues ?? []).map((i) => ({
    field: issuePath(i.path),
    message: i.message,
  }));
  const first = issues[0];
  const field = first?.field || "body";
  return new InvalidInputError(first ? `${field}: ${first.message}` : "invalid input", {
    details: { field, issues },
  });
}

/** Parses `value` with `schema`, throwing INVALID_INPUT with the field path on failure. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodToInvalidInput(result.error);
  return result.data;
}
