import { readFile } from "node:fs/promises";
import defaultCatalogJson from "../../../../../models/catalog.json" with { type: "json" };
import { ConfigInvalidError } from "../../errors/index.ts";
import {
  type CatalogData,
  CatalogSchema,
  entryFileName,
  type ModelEntryInput,
  type ModelRole,
  type SyntheticPreset,
} from "./schema.ts";

/** A catalog entry with its local file name resolved. */
export interface ModelEntry extends Readonly<ModelEntryInput> {
  readonly fileName: string;
}

/** The typed, validated catalog of known models. Build one with `createCatalog` or `loadCatalog`. */
export class ModelCatalog {
  readonly #entries: readonly ModelEntry[];
  readonly #byId: ReadonlyMap<string, ModelEntry>;
  readonly #presets: readonly SyntheticPreset[];

  private constructor(data: CatalogData) {
    this.#entries = Object.freeze(
      data.models.map((m) => Object.freeze({ ...m, fileName: entryFileName(m)! }) as ModelEntry),
    );
    this.#byId = new Map(this.#entries.map((e) => [e.id.toLowerCase(), e]));
    this.#presets = Object.freeze(data.synthetic.presets.map((p) => Object.freeze({ ...p })));
  }

  /** @internal */
  static _create(data: CatalogData): ModelCatalog {
    return new ModelCatalog(data);
  }

  /** Every entry, in catalog order. */
  list(): readonly ModelEntry[] {
    return this.#entries;
  }

  /** The entry with this id (ids compare case-insensitively), or undefined. */
  get(id: string): ModelEntry | undefined {
    return this.#byId.get(id.toLowerCase());
  }

  /** Entries of one role, in catalog order. */
  byRole(role: ModelRole): readonly ModelEntry[] {
    return this.#entries.filter((e) => e.role === role);
  }

  /** The default entry of a role (the one marked `default`), or undefined. Defaults to the chat role. */
  defaultModel(role: ModelRole = "chat"): ModelEntry | undefined {
    return this.#entries.find((e) => e.role === role && e.default === true);
  }

  /** The projector entry a vision entry needs. */
  projectorOf(entry: ModelEntry): ModelEntry | undefined {
    return entry.projector === undefined ? undefined : this.get(entry.projector);
  }

  /** Entries whose local file has this name. */
  findByFileName(fileName: string): readonly ModelEntry[] {
    return this.#entries.filter((e) => e.fileName === fileName);
  }

  /** The entry whose source is this URI, compared after trimming. */
  findByUri(uri: string): ModelEntry | undefined {
    const wanted = uri.trim();
    return this.#entries.find((e) => e.uri === wanted);
  }

  /** Synthetic presets (gguf-synth) with their pinned digests. */
  syntheticPresets(): readonly SyntheticPreset[] {
    return this.#presets;
  }
}

/** Validates catalog data (parsed JSON) and builds a catalog; CONFIG_INVALID names each problem. */
export function createCatalog(data: unknown, source = "catalog"): ModelCatalog {
  const parsed = CatalogSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigInvalidError(`${source} is invalid: ${issues.join("; ")}`, {
      details: { source, issues },
    });
  }
  return ModelCatalog._create(parsed.data);
}

/** Reads and validates a catalog JSON file. */
export async function loadCatalog(path: string): Promise<ModelCatalog> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigInvalidError(`cannot read catalog ${path}`, { cause: err, details: { source: path } });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigInvalidError(`catalog ${path} is not JSON`, { cause: err, details: { source: path } });
  }
  return createCatalog(data, path);
}

let defaultCatalog: ModelCatalog | undefined;

/** The catalog shipped in `models/catalog.json`, validated once. */
export function getCatalog(): ModelCatalog {
  defaultCatalog ??= createCatalog(defaultCatalogJson, "models/catalog.json");
  return defaultCatalog;
}
