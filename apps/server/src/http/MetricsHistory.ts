import type { MetricsSnapshot } from "@sluice/api";

/** Metric families the playground's Metrics page charts; other lines are not kept. */
const CHARTED = [
  "sluice_requests_total",
  "sluice_tokens_total",
  "sluice_request_duration_seconds_bucket",
  "sluice_queue_depth",
  "sluice_cache_requests_total",
  "sluice_runner_restarts_total",
];

/** Options of {@link MetricsHistory}. */
export interface MetricsHistoryOptions {
  /** Renders the current Prometheus text. */
  render: () => Promise<string>;
  /** Milliseconds between snapshots. Defaults to `2000`. */
  intervalMs?: number;
  /** Snapshots kept (the oldest is dropped first). Defaults to `180` (six minutes at 2 s). */
  capacity?: number;
}

/**
 * A short ring buffer of metrics snapshots, taken on a timer, so the
 * playground's charts show the last minutes on every visit instead of
 * starting empty. Only the charted families are kept, which keeps a snapshot
 * to a few kilobytes.
 */
export class MetricsHistory {
  readonly intervalMs: number;
  readonly #capacity: number;
  readonly #render: () => Promise<string>;
  readonly #snapshots: MetricsSnapshot[] = [];
  readonly #timer: NodeJS.Timeout;
  #taking = false;

  constructor(options: MetricsHistoryOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.#capacity = options.capacity ?? 180;
    if (!(this.intervalMs >= 100)) throw new RangeError(`intervalMs must be >= 100, got ${this.intervalMs}`);
    if (!(this.#capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${this.#capacity}`);
    this.#render = options.render;
    void this.#take();
    this.#timer = setInterval(() => void this.#take(), this.intervalMs);
    // Sampling never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** The snapshots kept, oldest first. */
  snapshots(): MetricsSnapshot[] {
    return [...this.#snapshots];
  }

  /** Stops sampling; idempotent. */
  close(): void {
    clearInterval(this.#timer);
  }

  async #take(): Promise<void> {
    if (this.#taking) return;
    this.#taking = true;
    try {
      const text = await this.#render();
      const kept = text.split("\n").filter((line) => CHARTED.some((name) => line.startsWith(name)));
      this.#snapshots.push({ at: Date.now(), text: kept.join("\n") });
      if (this.#snapshots.length > this.#capacity) this.#snapshots.shift();
    } catch {
      // A failed render leaves a gap in the history, which the charts show as one.
    } finally {
      this.#taking = false;
    }
  }
}
