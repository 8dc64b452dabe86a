import type { AdmissionRequest, Admit } from "../host/types.ts";
import { DEFAULT_RUNTIME_BYTES, estimateLoadMemory } from "../llama/estimateMemory.ts";
import type { MemoryAdmission } from "./MemoryBudget.ts";

export interface HostAdmissionOptions {
  /**
   * Resident memory of one runner process without a model, added to every
   * estimate. Use `0` with in-process engines (one process holds every model).
   * Defaults to `DEFAULT_RUNTIME_BYTES` (105 MiB built, 150 MiB from sources; measured).
   */
  runtimeBytes?: number;
  /** Replaces the GGUF estimate (tests, or models the estimator does not know). Defaults to `estimateLoadMemory`. */
  estimate?: (request: AdmissionRequest) => Promise<number>;
}

/**
 * Connects a memory budget to ModelHost's `admit` option: each load is
 * estimated from its GGUF header with the host's load options, then admitted.
 *
 * @example
 * ```ts
 * let host: ModelHost | undefined;
 * const budget = new MemoryBudget({ budgetBytes: "auto", evictor: () => host });
 * host = new ModelHost({ engineFactory: new RunnerEngineFactory(), resolve, admit: createHostAdmission(budget) });
 * ```
 */
export function createHostAdmission(budget: MemoryAdmission, options: HostAdmissionOptions = {}): Admit {
  const runtimeBytes = options.runtimeBytes ?? DEFAULT_RUNTIME_BYTES;
  if (!(Number.isFinite(runtimeBytes) && runtimeBytes >= 0)) {
    throw new RangeError(`runtimeBytes must be a non-negative number, got ${runtimeBytes}`);
  }
  return async (request, signal) => {
    const estimateBytes =
      options.estimate !== undefined
        ? await options.estimate(request)
        : (await estimateLoadMemory({ ...request.options, modelPath: request.path }, { runtimeBytes }))
            .totalBytes;
    return budget.admit({ modelId: request.modelId, modelPath: request.path, estimateBytes }, signal);
  };
}
