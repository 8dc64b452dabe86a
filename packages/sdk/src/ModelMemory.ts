import type { Telemetry } from "@sluice/telemetry";

/** Memory of one loaded model, as `/v1/models` and the playground show it. */
export interface ModelMemoryReport {
  /** What the GGUF header says a load with these options needs (weights, context, runner overhead). */
  estimateBytes?: number;
  /** Resident set size of the model's runner process (runner mode only; in-process models share the host's). */
  rssBytes?: number;
  /** Pid of the runner process serving the model (runner mode only). */
  runnerPid?: number;
}

/**
 * Per-model memory figures: the GGUF estimate taken at admission and the
 * runner's RSS from its heartbeats. Each figure is kept for status() and set
 * on `sluice_model_memory_bytes{model,kind}`; an unload forgets both.
 */
export class ModelMemory {
  readonly #telemetry: Telemetry;
  readonly #loaded: (modelId: string) => boolean;
  readonly #reports = new Map<string, ModelMemoryReport>();

  /** `loaded` says whether a model is in memory now; a late heartbeat of an unloaded model is ignored. */
  constructor(telemetry: Telemetry, loaded: (modelId: string) => boolean) {
    this.#telemetry = telemetry;
    this.#loaded = loaded;
  }

  estimate(modelId: string, bytes: number): void {
    this.#set(modelId, "estimate", bytes);
  }

  rss(modelId: string, bytes: number, pid?: number): void {
    if (!this.#loaded(modelId) || !(bytes > 0)) return;
    this.#set(modelId, "rss", bytes);
    if (pid !== undefined) (this.#reports.get(modelId) as ModelMemoryReport).runnerPid = pid;
  }

  /** Figures of a model, when it is loaded. */
  of(modelId: string): ModelMemoryReport | undefined {
    const report = this.#reports.get(modelId);
    return report ? { ...report } : undefined;
  }

  forget(modelId: string): void {
    this.#reports.delete(modelId);
  }

  #set(modelId: string, kind: "estimate" | "rss", bytes: number): void {
    const report = this.#reports.get(modelId) ?? {};
    if (kind === "estimate") report.estimateBytes = bytes;
    else report.rssBytes = bytes;
    this.#reports.set(modelId, report);
    this.#telemetry.record.modelMemory(modelId, kind, bytes);
  }
}
