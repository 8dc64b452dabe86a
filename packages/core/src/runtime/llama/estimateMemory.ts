/**
 * RAM estimate of one model load from GGUF metadata alone (no weights read),
 * through node-llama-cpp's GgufInsights. The V2 estimators simulate llama.cpp's
 * own buffer reservations, so the figures match what llama.cpp allocates:
 * measured on the lfm2-350m shape they equal its logged model, KV, recurrent
 * state, output and compute buffer sizes to 0.1 MiB.
 */
import { GgmlType, GgufInsights, readGgufFileInfo } from "node-llama-cpp";
import { LOAD_DEFAULTS } from "../defaults.ts";
import type { EngineLoadOptions } from "../engine/Engine.ts";

export interface MemoryEstimate {
  /** Model weights (mmapped pages become resident as decoding touches them). */
  weightsBytes: number;
  /** The generation context: KV cache for contextSize × sequences, recurrent state, outputs, compute buffers. */
  contextBytes: number;
  /** All embedding contexts together. */
  embeddingBytes: number;
  /** A runner process with the binding loaded but no model (Node, node-llama-cpp, llama.cpp code pages). */
  runtimeBytes: number;
  totalBytes: number;
}

export interface EstimateMemoryOptions {
  /** Resident memory a runner needs besides llama.cpp's buffers. Defaults to `DEFAULT_RUNTIME_BYTES`. */
  runtimeBytes?: number;
}

// Defaults of EngineLoadOptions, as the llama adapter applies them.
const defaults = LOAD_DEFAULTS;
const kvTypes = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0 } as const;
/**
 * Resident memory of a runner besides llama.cpp's buffers: Node, the binding's
 * code, thread stacks and heap. Calibrated on this machine (lfm2-tiny and
 * lfm2-350m, 2048 × 4 context): an empty built runner holds 88 MiB and a loaded
 * one 17–36 MiB more than llama.cpp's buffers, so 105 MiB. A runner forked from
 * TypeScript sources also loads tsx (empty: 136 MiB), so 150 MiB there; both
 * files live in the same tree, so this module's extension tells the mode.
 */
export const DEFAULT_RUNTIME_BYTES = (import.meta.url.endsWith(".ts") ? 150 : 105) * 2 ** 20;

/** Estimates the RAM a load with these options needs, from the file's GGUF header. */
export async function estimateLoadMemory(
  load: EngineLoadOptions,
  options: EstimateMemoryOptions = {},
): Promise<MemoryEstimate> {
  const contextSize = load.contextSize ?? defaults.contextSize;
  const sequences = load.sequences ?? defaults.sequences;
  const batchSize = load.batchSize ?? defaults.batchSize;
  const useMmap = load.useMmap ?? defaults.useMmap;
  const embeddingContexts = load.embeddingContexts ?? defaults.embeddingContexts;
  const kv = kvTypes[load.kvCacheType ?? "f16"];

  const fileInfo = await readGgufFileInfo(load.modelPath, { readTensorInfo: true, logWarnings: false });
  // No Llama instance: node-llama-cpp then uses a slim one without a llama.cpp
  // backend, so a host that runs models in runners never starts native inference.
  const insights = await GgufInsights.from(fileInfo);
  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0, useMmap });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    sequences,
    batchSize,
    modelGpuLayers: 0,
    kvCacheKeyType: kv,
    kvCacheValueType: kv,
    useMmap,
  });
  const embedding =
    embeddingContexts === 0
      ? { cpuRam: 0 }
      : await insights.estimateContextResourceRequirementsV2({
          // As the adapter creates them: one sequence, a whole text in one batch.
          contextSize,
          sequences: 1,
          batchSize: contextSize,
          modelGpuLayers: 0,
          isEmbeddingContext: true,
          useMmap,
        });
  const runtimeBytes = options.runtimeBytes ?? DEFAULT_RUNTIME_BYTES;
  const embeddingBytes = embedding.cpuRam * embeddingContexts;
  return {
    weightsBytes: weights.cpuRam,
    contextBytes: context.cpuRam,
    embeddingBytes,
    runtimeBytes,
    totalBytes: weights.cpuRam + context.cpuRam + embeddingBytes + runtimeBytes,
  };
}
