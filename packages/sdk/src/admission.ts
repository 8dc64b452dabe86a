import {
  type Admit,
  estimateLoadMemory,
  type MemoryBudget,
  type ModelHost,
  OutOfMemoryBudgetError,
} from "@sluice/core";
import type { ModelMemory } from "./ModelMemory.ts";

/** Options of {@link createAdmission}. */
export interface AdmissionOptions {
  host: () => ModelHost | undefined;
  /** Most models in memory at once; loading one more unloads the least recently used idle one. */
  maxLoaded: number | undefined;
  /** The memory budget, when one is configured. */
  budget: MemoryBudget | undefined;
  /** Runner overhead added to each estimate (`0` in process: one process holds every model). */
  runtimeBytes: number;
  memory: ModelMemory;
}

/**
 * The model host's admission step: enforce the loaded-model cap, estimate the
 * load from its GGUF header (the `estimate` figure of the memory metric), and
 * reserve the estimate in the budget when there is one.
 */
export function createAdmission(options: AdmissionOptions): Admit {
  const { maxLoaded, budget, memory } = options;
  if (maxLoaded !== undefined && !(Number.isSafeInteger(maxLoaded) && maxLoaded >= 1))
    throw new RangeError(`maxLoaded must be an integer >= 1, got ${maxLoaded}`);
  return async (request, signal) => {
    if (maxLoaded !== undefined) await makeRoom(options.host(), request.modelId, maxLoaded);
    const estimate = await estimateLoadMemory(
      { ...request.options, modelPath: request.path },
      { runtimeBytes: options.runtimeBytes },
    ).then(
      (e) => e.totalBytes,
      // A file the estimator cannot read still loads (the GGUF checks ran already); it just has no estimate.
      () => undefined,
    );
    if (estimate !== undefined) memory.estimate(request.modelId, estimate);
    if (!budget) return undefined;
    return budget.admit(
      { modelId: request.modelId, modelPath: request.path, estimateBytes: estimate ?? 0 },
      signal,
    );
  };
}

async function makeRoom(host: ModelHost | undefined, modelId: string, maxLoaded: number): Promise<void> {
  if (!host) return;
  const others = () => host.models().filter((m) => m.modelId !== modelId);
  while (others().length >= maxLoaded) {
    if ((await host.unloadIdle(1)) === 0)
      throw new OutOfMemoryBudgetError(
        `loading ${modelId} would exceed models.maxLoaded (${maxLoaded}) and every loaded model is busy`,
        { retryable: true, details: { modelId, maxLoaded, loaded: others().map((m) => m.modelId) } },
      );
  }
}
