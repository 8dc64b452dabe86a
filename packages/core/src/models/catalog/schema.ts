import { z } from "zod";

/** Model ids: a letter or digit, then letters, digits, `.`, `_`, `-`; no path separators, no `..`. */
export const MODEL_ID_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Local file names the store writes: the same alphabet, ending in `.gguf`. */
export const MODEL_FILE_NAME_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,195}\.gguf$/;

export const ModelRole = z.enum(["chat", "embed", "vision", "projector"]);
export type ModelRole = z.infer<typeof ModelRole>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex sha256 digest");

const ModelId = z.string().regex(MODEL_ID_PATTERN, "an id of letters, digits, '.', '_' and '-'");

export const ModelEntrySchema = z.strictObject({
  id: ModelId,
  /** Display name. */
  name: z.string().min(1),
  role: ModelRole,
  /** Where the file comes from: `hf:<owner>/<repo>/<path>.gguf` or an https URL. */
  uri: z.string().regex(/^(hf:|https?:\/\/)/, "an hf: URI or an https URL"),
  /** Local file name; defaults to the last segment of the URI. */
  fileName: z.string().regex(MODEL_FILE_NAME_PATTERN).optional(),
  /** Known digest; when absent it is pinned in the lock file on first download. */
  sha256: Sha256Hex.optional(),
  /** Exact size in bytes, when known; enforced like the digest. */
  sizeBytes: z.number().int().positive().optional(),
  /** Approximate size for display (from the hub's listing); never enforced. */
  approxSizeBytes: z.number().int().positive().optional(),
  /** `general.architecture` of the file. */
  architecture: z.string().min(1),
  quantization: z.string().optional(),
  parameters: z.string().optional(),
  /** Recommended context size in tokens. */
  contextLength: z.number().int().positive().optional(),
  license: z.string().min(1),
  licenseUrl: z.url().optional(),
  /** For vision entries: the id of the projector (mmproj) entry they need. */
  projector: ModelId.optional(),
  /** The default model of its role. */
  default: z.boolean().optional(),
  description: z.string().optional(),
});
export type ModelEntryInput = z.infer<typeof ModelEntrySchema>;

export const SyntheticPresetSchema = z.strictObject({
  id: ModelId,
  /** gguf-synth preset name, e.g. `lfm2-tiny`. */
  preset: z.string().min(1),
  type: z.enum(["f32", "f16", "q8_0", "q4_0"]),
  seed: z.number().int().nonnegative(),
  sha256: Sha256Hex,
  sizeBytes: z.number().int().positive().optional(),
});
export type SyntheticPreset = z.infer<typeof SyntheticPresetSchema>;

export const CatalogSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1),
    models: z.array(ModelEntrySchema),
    synthetic: z.strictObject({ presets: z.array(SyntheticPresetSchema) }),
  })
  .superRefine((catalog, ctx) => {
    const ids = new Map<string, number>();
    const files = new Map<string, number>();
    catalog.models.forEach((m, i) => {
      const id = m.id.toLowerCase();
      if (ids.has(id))
        ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate id '${m.id}'` });
      ids.set(id, i);
    });
    catalog.synthetic.presets.forEach((p, i) => {
      if (ids.has(p.id.toLowerCase())) {
        ctx.addIssue({
          code: "custom",
          path: ["synthetic", "presets", i, "id"],
          message: `duplicate id '${p.id}'`,
        });
      }
    });
    const byId = new Map(catalog.models.map((m) => [m.id, m]));
    catalog.models.forEach((m, i) => {
      const file = entryFileName(m);
      if (file === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["models", i, "uri"],
          message: "cannot derive a .gguf file name",
        });
      } else {
        const other = files.get(file);
        const sameSource = other !== undefined && catalog.models[other]!.uri === m.uri;
        if (other !== undefined && !sameSource) {
          ctx.addIssue({
            code: "custom",
            path: ["models", i, "fileName"],
            message: `file name '${file}' reused`,
          });
        }
        files.set(file, i);
      }
      if (m.role === "vision") {
        const projector = m.projector === undefined ? undefined : byId.get(m.projector);
        if (projector?.role !== "projector") {
          ctx.addIssue({
            code: "custom",
            path: ["models", i, "projector"],
            message: "must name a projector entry",
          });
        }
      } else if (m.projector !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["models", i, "projector"],
          message: "only vision entries have one",
        });
      }
    });
    for (const role of ModelRole.options) {
      const defaults = catalog.models.filter((m) => m.role === role && m.default);
      if (defaults.length > 1) {
        ctx.addIssue({ code: "custom", path: ["models"], message: `more than one default ${role} model` });
      }
    }
  });
export type CatalogData = z.infer<typeof CatalogSchema>;

/** The local file name of an entry: its `fileName`, or the last segment of its URI. */
export function entryFileName(entry: Pick<ModelEntryInput, "uri" | "fileName">): string | undefined {
  if (entry.fileName !== undefined) return entry.fileName;
  const path = entry.uri.replace(/[?#].*$/, "");
  const last = path.slice(path.lastIndexOf("/") + 1);
  return MODEL_FILE_NAME_PATTERN.test(last) ? last : undefined;
}
