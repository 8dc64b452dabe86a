import {
  Cascade,
  type CascadeConfigInput,
  type CascadeEvent,
  type CascadeResponse,
  type DecisionTrace,
  type ExperimentSummary,
  type TierBackend,
} from "@sluice/cascade";
import type { GenerateParams } from "@sluice/core";

/** Options of {@link CascadeRouter}. */
export interface CascadeRouterOptions {
  config: CascadeConfigInput;
  backends: readonly TierBackend[];
  /** Decision traces kept for `traces()`. Defaults to `200`. */
  keepTraces?: number;
  onEvent?: (event: CascadeEvent) => void;
}

/** A cascade plus the recent decision traces and the experiment summary the API shows. */
export class CascadeRouter {
  readonly #cascade: Cascade;
  readonly #traces: Array<DecisionTrace & { at: string; latencyMs: number; ok: boolean }> = [];
  readonly #keep: number;

  constructor(options: CascadeRouterOptions) {
    this.#keep = options.keepTraces ?? 200;
    this.#cascade = new Cascade({
      config: options.config,
      backends: options.backends,
      onEvent: (event) => {
        if (event.type === "result" || event.type === "error") {
          this.#traces.unshift({
            ...event.trace,
            at: new Date().toISOString(),
            latencyMs: event.latencyMs,
            ok: event.type === "result",
          });
          if (this.#traces.length > this.#keep) this.#traces.length = this.#keep;
        }
        options.onEvent?.(event);
      },
    });
  }

  generate(
    params: GenerateParams,
    options: { signal?: AbortSignal; deadlineMs?: number; key?: string },
  ): Promise<CascadeResponse> {
    return this.#cascade.generate(params, options);
  }

  /** Changes tiers' confidence thresholds for the next requests (hot reload). */
  setThresholds(thresholds: Readonly<Record<string, number>>): void {
    this.#cascade.setThresholds(thresholds);
  }

  /** Most recent decision traces, newest first. */
  traces(limit = 50): unknown[] {
    return this.#traces.slice(0, limit);
  }

  /** Per-arm statistics with significance, or `null` without an experiment. */
  abSummary(): ExperimentSummary | null {
    return this.#cascade.experiment?.summary() ?? null;
  }
}
