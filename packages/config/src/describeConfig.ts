import type { z } from "zod";
import { envNameOf } from "./env.ts";
import { isRuntimeSafe } from "./runtimeSafe.ts";
import { sluiceConfigSchema } from "./schema/index.ts";

/** One documented field, for the docs generator and `sluice config --describe`. */
export interface ConfigFieldDoc {
  /** Dotted path; `[]` marks list elements (`cascade.tiers[].model`). */
  path: string;
  /** Short type, e.g. `number`, `"auto" | number`, `list of string`. */
  type: string;
  /** Default value, when the field has one. */
  default?: unknown;
  description: string;
  /** Environment variable that sets it (absent inside lists). */
  env?: string;
  /** Whether a hot reload applies it without a restart. */
  runtimeSafe: boolean;
}

type Schema = z.core.$ZodType;
const defOf = (s: Schema) => s._zod.def as unknown as Record<string, unknown> & { type: string };

/** Every leaf field of the schema with its type, default, description and variable. */
export function describeConfig(): ConfigFieldDoc[] {
  const out: ConfigFieldDoc[] = [];
  const shape = defOf(sluiceConfigSchema).shape as Record<string, Schema>;
  for (const [key, child] of Object.entries(shape)) walk(child, [key], false, out);
  return out;
}

function walk(schema: Schema, path: string[], inList: boolean, out: ConfigFieldDoc[]): void {
  const description = (schema as { description?: string }).description ?? "";
  let inner = schema;
  let dflt: unknown;
  for (;;) {
    const def = defOf(inner);
    if (def.type === "default") dflt = def.defaultValue;
    if (def.type === "default" || def.type === "prefault" || def.type === "optional")
      inner = def.innerType as Schema;
    else break;
  }
  const def = defOf(inner);
  if (def.type === "object") {
    for (const [key, child] of Object.entries(def.shape as Record<string, Schema>))
      walk(child, [...path, key], inList, out);
    return;
  }
  if (def.type === "array" && defOf(def.element as Schema).type === "object") {
    const element = def.element as Schema;
    const last = path.length - 1;
    const listPath = [...path.slice(0, last), `${path[last]}[]`];
    for (const [key, child] of Object.entries(defOf(element).shape as Record<string, Schema>)) {
      walk(child, [...listPath, key], true, out);
    }
    return;
  }
  const doc: ConfigFieldDoc = {
    path: path.join("."),
    type: typeName(inner),
    description,
    runtimeSafe: isRuntimeSafe(path.flatMap((p) => (p.endsWith("[]") ? [p.slice(0, -2), "*"] : [p]))),
  };
  if (dflt !== undefined) doc.default = dflt;
  if (!inList) doc.env = envNameOf(path);
  out.push(doc);
}

function typeName(schema: Schema): string {
  const def = defOf(schema);
  switch (def.type) {
    case "union":
      return (def.options as Schema[]).map(typeName).join(" | ");
    case "literal":
      return (def.values as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
    case "enum":
      return Object.values(def.entries as Record<string, string>)
        .map((v) => JSON.stringify(v))
        .join(" | ");
    case "array":
      return `list of ${typeName(def.element as Schema)}`;
    case "record":
      return `map of ${typeName(def.valueType as Schema)}`;
    default:
      return def.type;
  }
}
