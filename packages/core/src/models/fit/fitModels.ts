import type { ModelEntry } from "../catalog/ModelCatalog.ts";
import type { ListedModel } from "../store/ModelStore.ts";

/** One catalog model with its memory need under given runtime settings. */
export interface ModelFit {
  entry: ModelEntry;
  /** Local file, when present. */
  path?: string;
  /** File size: measured when present, else from the catalog (approximate). */
  fileBytes?: number;
  /** RAM one load needs; from the GGUF header when present, else approximated from the size. */
  needBytes?: number;
  /** `needBytes` comes from the GGUF header (not an approximation). */
  exact: boolean;
  /** `needBytes` is within the budget; absent when neither is known. */
  fits?: boolean;
}

/** Runtime settings a fit is computed for. */
export interface FitOptions {
  contextSize: number;
  sequences: number;
  /** Prompt tokens per batch. Defaults to `512`. */
  batchSize?: number;
  /** Memory loaded models may use; without it `fits` stays unknown. */
  budgetBytes?: number;
}

/** Bits per weight of common GGUF quantisations, for models not downloaded yet. */
const BITS_PER_WEIGHT: Record<string, number> = {
  F32: 32,
  F16: 16,
  BF16: 16,
  Q8_0: 8.5,
  Q6_K: 6.56,
  Q5_K_M: 5.69,
  Q4_K_M: 4.85,
  Q4_0: 4.5,
};

/** Approximate file size of a catalog entry: its listed size, else parameters × bits per weight. */
export function approxFileBytes(entry: ModelEntry): number | undefined {
  if (entry.sizeBytes ?? entry.approxSizeBytes) return entry.sizeBytes ?? entry.approxSizeBytes;
  const params = /^([\d.]+)\s*([KMB])$/i.exec(entry.parameters ?? "");
  const bits = BITS_PER_WEIGHT[entry.quantization?.toUpperCase() ?? ""];
  if (!params || bits === undefined) return undefined;
  const scale = { K: 1e3, M: 1e6, B: 1e9 }[(params[2] as string).toUpperCase() as "K" | "M" | "B"];
  return Math.round((Number(params[1]) * scale * bits) / 8);
}

/**
 * RAM a load needs, approximated from the file size when the GGUF header
 * cannot be read (model not downloaded): the weights, a quarter more for the
 * context and compute buffers, and the runner process.
 */
export function approxNeedBytes(fileBytes: number, runtimeBytes: number): number {
  return Math.round(fileBytes * 1.25) + runtimeBytes;
}

/**
 * Memory need of each listed catalog model (projectors left out): exact from
 * the GGUF header of a present file, else approximated from the catalog size.
 * `sluice doctor` and the playground's model picker both judge "fits" here.
 */
export async function fitModels(listed: readonly ListedModel[], options: FitOptions): Promise<ModelFit[]> {
  // Loaded on use: the estimate reads GGUF headers through node-llama-cpp, which
  // this light subpath (`@sluice/core/models`) must not load on import.
  const { DEFAULT_RUNTIME_BYTES, estimateLoadMemory } = await import("../../runtime/llama/estimateMemory.ts");
  const fits: ModelFit[] = [];
  for (const l of listed) {
    if (l.entry.role === "projector") continue;
    const fit: ModelFit = { entry: l.entry, exact: false };
    if (l.path) fit.path = l.path;
    const fileBytes = l.sizeBytes ?? approxFileBytes(l.entry);
    if (fileBytes !== undefined) fit.fileBytes = fileBytes;
    if (l.path) {
      try {
        const estimate = await estimateLoadMemory({
          modelPath: l.path,
          contextSize: options.contextSize,
          sequences: options.sequences,
          batchSize: options.batchSize ?? 512,
        });
        fit.needBytes = estimate.totalBytes;
        fit.exact = true;
      } catch {
        // An unreadable header is the verify command's business; fall back to the size.
      }
    }
    if (fit.needBytes === undefined && fit.fileBytes !== undefined)
      fit.needBytes = approxNeedBytes(fit.fileBytes, DEFAULT_RUNTIME_BYTES);
    if (fit.needBytes !== undefined && options.budgetBytes !== undefined)
      fit.fits = fit.needBytes <= options.budgetBytes;
    fits.push(fit);
  }
  return fits;
}
