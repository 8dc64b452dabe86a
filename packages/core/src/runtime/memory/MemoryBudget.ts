import { AbortedError, OutOfMemoryBudgetError } from "../../errors/index.ts";
import { autoMemoryBudgetBytes } from "./autoMemoryBudget.ts";
import { MemoryReservation, type ModelMemoryUsage } from "./MemoryReservation.ts";

/** A loaded model as the eviction source sees it. `references > 0` = busy. */
export interface EvictableModel {
  modelId: string;
  references: number;
  /** Milliseconds since the epoch of the last use (LRU order). */
  lastUsedAt: number;
}

/**
 * Who can unload models to make room. ModelHost satisfies it: `models()` and
 * `unloadIdle(1)`, which unloads the least recently used idle model.
 */
export interface EvictionSource {
  models(): EvictableModel[];
  unloadIdle(max: number): Promise<number>;
}

/** Reserve memory for a model load, evicting idle models or refusing with OUT_OF_MEMORY_BUDGET. */
export interface MemoryAdmission {
  admit(request: AdmitRequest, signal?: AbortSignal): Promise<MemoryReservation>;
}

export interface AdmitRequest {
  modelId: string;
  modelPath?: string;
  estimateBytes: number;
}

export interface MemoryBudgetOptions {
  /**
   * Bytes all loaded models may use together, or `"auto"` = `autoShare` of
   * physical memory or of the container's cgroup limit, whichever is smaller
   * (see autoMemoryBudgetBytes). Defaults to `"auto"`.
   */
  budgetBytes?: number | "auto";
  /** Share of memory an `"auto"` budget takes. Defaults to `0.5`. */
  autoShare?: number;
  /** Memory an `"auto"` budget is a share of, in bytes. Defaults to physical memory capped by the cgroup limit. */
  totalMemory?: () => number;
  /** Unloads idle models when room is needed; without one, admission only refuses. Defaults to none. */
  evictor?: () => EvictionSource | undefined;
}

export interface MemoryBudgetSnapshot {
  budgetBytes: number;
  reservedBytes: number;
  freeBytes: number;
  models: ModelMemoryUsage[];
}

/**
 * The memory budget of loaded models. Admission reserves a load's estimate;
 * when the budget is short it unloads idle models least-recently-used first,
 * and when the memory is held by busy models it refuses with
 * OUT_OF_MEMORY_BUDGET (carrying the estimate and what is free). Admissions
 * run one at a time so two loads can never both count the same free bytes.
 */
export class MemoryBudget implements MemoryAdmission {
  readonly budgetBytes: number;
  readonly #reservations = new Set<MemoryReservation>();
  readonly #evictor: (() => EvictionSource | undefined) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: MemoryBudgetOptions = {}) {
    const share = options.autoShare ?? 0.5;
    if (!(share > 0 && share <= 1)) throw new RangeError(`autoShare must be in (0, 1], got ${share}`);
    const budget = options.budgetBytes ?? "auto";
    if (budget !== "auto" && !(Number.isFinite(budget) && budget > 0)) {
      throw new RangeError(`budgetBytes must be a positive number or "auto", got ${budget}`);
    }
    this.budgetBytes =
      budget === "auto"
        ? options.totalMemory
          ? Math.floor(share * options.totalMemory())
          : autoMemoryBudgetBytes({ share })
        : budget;
    this.#evictor = options.evictor;
  }

  get reservedBytes(): number {
    let total = 0;
    for (const r of this.#reservations) total += r.estimateBytes;
    return total;
  }

  get freeBytes(): number {
    return this.budgetBytes - this.reservedBytes;
  }

  /** Estimates next to measured RSS, for every admitted model. */
  snapshot(): MemoryBudgetSnapshot {
    return {
      budgetBytes: this.budgetBytes,
      reservedBytes: this.reservedBytes,
      freeBytes: this.freeBytes,
      models: [...this.#reservations].map((r) => r.usage()),
    };
  }

  /** Records a runner's RSS against the reservation of the model it serves (by id or file path). */
  observeRss(modelIdOrPath: string, rssBytes: number): void {
    for (const r of this.#reservations) {
      if (r.modelId === modelIdOrPath || r.modelPath === modelIdOrPath) r.observeRss(rssBytes);
    }
  }

  admit(request: AdmitRequest, signal?: AbortSignal): Promise<MemoryReservation> {
    const { estimateBytes } = request;
    if (!(Number.isFinite(estimateBytes) && estimateBytes >= 0)) {
      return Promise.reject(
        new RangeError(`estimateBytes must be a non-negative number, got ${estimateBytes}`),
      );
    }
    const run = this.#queue.then(() => this.#admit(request, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #admit(request: AdmitRequest, signal: AbortSignal | undefined): Promise<MemoryReservation> {
    const { modelId, estimateBytes } = request;
    if (estimateBytes > this.budgetBytes) {
      throw this.#refuse(request, `needs more than the whole budget`, false);
    }
    while (this.freeBytes < estimateBytes) {
      if (signal?.aborted) throw new AbortedError("admission was aborted", { cause: signal.reason });
      const source = this.#evictor?.();
      const held = new Map<string, number>();
      for (const r of this.#reservations) held.set(r.modelId, (held.get(r.modelId) ?? 0) + r.estimateBytes);
      const idle = (source?.models() ?? []).filter((m) => m.references === 0 && held.has(m.modelId));
      const idleBytes = idle.reduce((sum, m) => sum + (held.get(m.modelId) ?? 0), 0);
      // Evict only when it is enough: unloading idle models and then refusing anyway helps nobody.
      if (source === undefined || this.freeBytes + idleBytes < estimateBytes) {
        throw this.#refuse(request, "the rest of the budget is held by busy models", true);
      }
      const before = this.reservedBytes;
      if ((await source.unloadIdle(1)) === 0 || this.reservedBytes >= before) {
        throw this.#refuse(request, "no idle model could be unloaded", true);
      }
    }
    const reservation = new MemoryReservation(modelId, request.modelPath, estimateBytes, (r) =>
      this.#reservations.delete(r),
    );
    this.#reservations.add(reservation);
    return reservation;
  }

  #refuse(request: AdmitRequest, why: string, retryable: boolean): OutOfMemoryBudgetError {
    const { modelId, estimateBytes } = request;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    return new OutOfMemoryBudgetError(
      `loading ${modelId} needs ${mib(estimateBytes)}, ${mib(this.freeBytes)} of ${mib(this.budgetBytes)} free: ${why}`,
      {
        retryable,
        details: { modelId, estimateBytes, freeBytes: this.freeBytes, budgetBytes: this.budgetBytes },
      },
    );
  }
}
