export {
  DEFAULT_RUNTIME_BYTES,
  type EstimateMemoryOptions,
  estimateLoadMemory,
  type MemoryEstimate,
} from "../llama/estimateMemory.ts";
export {
  type AutoMemoryBudgetOptions,
  autoMemoryBudgetBytes,
  cgroupMemoryLimit,
} from "./autoMemoryBudget.ts";
export { createHostAdmission, type HostAdmissionOptions } from "./createHostAdmission.ts";
export {
  type AdmitRequest,
  type EvictableModel,
  type EvictionSource,
  type MemoryAdmission,
  MemoryBudget,
  type MemoryBudgetOptions,
  type MemoryBudgetSnapshot,
} from "./MemoryBudget.ts";
export { MemoryReservation, type ModelMemoryUsage } from "./MemoryReservation.ts";
