import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { entryFileName, getCatalog } from "@sluice/core";
import { ensureSynthModel, isPresetName } from "@sluice/gguf-synth";

/** The model the server starts with. */
export interface ChosenModel {
  id: string;
  /** Path, catalog id or URI for the resolver. */
  source: string;
  /** Random weights: answers are noise, and clients are told so. */
  synthetic: boolean;
  /** Why this one was chosen (printed at start-up). */
  reason: string;
}

export const SYNTHETIC_NOTICE = "synthetic weights: output is noise";

/** Options of {@link chooseDefaultModel}. */
export interface ChooseModelOptions {
  /** `--model` / `SLUICE_MODEL`: a preset, path, catalog id or URI, used as given (no fallback). */
  requested?: string;
  /**
   * The configured default (config files or built-in): used when on disk or
   * downloadable, else the synthetic fallback. Defaults to the catalog's default chat model.
   */
  preferred?: string;
  /** Directories searched for catalog files. */
  dirs: readonly string[];
  /**
   * Tries to fetch a catalog model that is not on disk; resolves to false when
   * it can not (no network, refused). Defaults to never downloading.
   */
  download?: (catalogId: string) => Promise<boolean>;
}

/**
 * Picks the start-up model: what was asked for; else the catalog's default LFM2
 * model when it is on disk or can be downloaded; else the generated
 * `lfm2-tiny` (random weights), so the server runs on a machine with no network.
 */
export async function chooseDefaultModel(options: ChooseModelOptions): Promise<ChosenModel> {
  const requested = options.requested;
  if (requested !== undefined) {
    if (isPresetName(requested)) {
      const path = await ensureSynthModel({ preset: requested });
      return { id: requested, source: path, synthetic: true, reason: `generated preset ${requested}` };
    }
    const asPath = isAbsolute(requested) ? requested : resolve(requested);
    if (existsSync(asPath)) {
      const id = asPath.replace(/^.*\//, "").replace(/\.gguf$/i, "");
      return { id, source: asPath, synthetic: false, reason: `file ${asPath}` };
    }
    return { id: requested, source: requested, synthetic: false, reason: `requested ${requested}` };
  }
  const catalog = getCatalog();
  if (options.preferred !== undefined && !catalog.get(options.preferred)) {
    // A preset or a file named by the config behaves like an explicit request.
    if (isPresetName(options.preferred) || existsSync(resolve(options.preferred)))
      return chooseDefaultModel({ ...options, requested: options.preferred, preferred: undefined });
  }
  const entry =
    (options.preferred !== undefined ? catalog.get(options.preferred) : undefined) ??
    catalog.defaultModel("chat");
  if (entry) {
    const file = entryFileName(entry);
    for (const dir of options.dirs) {
      const candidate = file ? resolve(dir, file) : undefined;
      if (candidate && existsSync(candidate))
        return {
          id: entry.id,
          source: candidate,
          synthetic: false,
          reason: `catalog default found at ${candidate}`,
        };
    }
    if (options.download && (await options.download(entry.id).catch(() => false)))
      return { id: entry.id, source: entry.id, synthetic: false, reason: "catalog default downloaded" };
  }
  const path = await ensureSynthModel({ preset: "lfm2-tiny" });
  return {
    id: "lfm2-tiny",
    source: path,
    synthetic: true,
    reason: `${entry ? `${entry.id} is not available offline; ` : ""}using generated lfm2-tiny (${SYNTHETIC_NOTICE})`,
  };
}
