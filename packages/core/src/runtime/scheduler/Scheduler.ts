import {
  AbortedError,
  DisposedError,
  isSluiceError,
  QueueFullError,
  TimeoutError,
} from "../../errors/index.ts";
import { FairQueue } from "./FairQueue.ts";
import { Slot } from "./Slot.ts";

/** Interactive requests are always dispatched before batch requests. */
export type Priority = "interactive" | "batch";

/** Per-request scheduling options. */
export interface ScheduleOptions {
  /** Key that fairness is computed over (API key, tenant). Defaults to `"anonymous"`. */
  caller?: string;
  /** Defaults to `"interactive"`. */
  priority?: Priority;
  /** Milliseconds from now until the request, queued or running, fails with TIMEOUT. Defaults to the scheduler's `defaultDeadlineMs`. */
  deadlineMs?: number;
  /** Cancels the request: removed at once while queued, its slot's signal aborts while running. */
  signal?: AbortSignal;
}

export interface SchedulerOptions {
  /** Most requests waiting per model (running ones excluded). Defaults to `64`. */
  maxQueue?: number;
  /** Requests running at once per model, usually its sequence count. Defaults to `4`. */
  concurrency?: number | ((modelId: string) => number);
  /** Deadline for requests that give none (undefined = none). Defaults to `undefined`. */
  defaultDeadlineMs?: number;
  /** Service-time guess before any request finished, for retry-after. Defaults to `1000`. */
  initialServiceMs?: number;
  /** Weight of the newest sample in the service-time EWMA. Defaults to `0.2`. */
  ewmaAlpha?: number;
}

export interface ModelQueueStats {
  queued: number;
  running: number;
  /** Smoothed milliseconds from dispatch to release. */
  serviceMs: number;
}

interface Pending {
  caller: string;
  priority: Priority;
  enqueuedAt: number;
  controller: AbortController;
  resolve(slot: Slot): void;
  reject(err: unknown): void;
  cleanup(): void;
}

class Lane {
  readonly interactive = new FairQueue<Pending>();
  readonly batch = new FairQueue<Pending>();
  readonly running = new Set<Pending>();
  serviceMs: number;
  constructor(serviceMs: number) {
    this.serviceMs = serviceMs;
  }
  get queued(): number {
    return this.interactive.size + this.batch.size;
  }
}

/**
 * Per-model bounded priority queues with deadlines, cancellation and
 * round-robin fairness between callers. A request holds a Slot while it runs;
 * at most `concurrency` slots per model exist at once. When the queue is
 * full the request fails fast with QUEUE_FULL and a retry-after estimated
 * from the measured service time.
 */
export class Scheduler {
  readonly #lanes = new Map<string, Lane>();
  readonly #maxQueue: number;
  readonly #concurrency: (modelId: string) => number;
  readonly #defaultDeadlineMs: number | undefined;
  readonly #initialServiceMs: number;
  readonly #alpha: number;
  readonly #idleWaiters = new Set<() => void>();
  #closed = false;

  constructor(options: SchedulerOptions = {}) {
    this.#maxQueue = options.maxQueue ?? 64;
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 0)
      throw new RangeError(`maxQueue must be an integer >= 0, got ${this.#maxQueue}`);
    const c = options.concurrency ?? 4;
    if (typeof c === "number" && (!Number.isInteger(c) || c < 1))
      throw new RangeError(`concurrency must be an integer >= 1, got ${c}`);
    this.#concurrency = typeof c === "number" ? () => c : c;
    this.#defaultDeadlineMs = options.defaultDeadlineMs;
    if (this.#defaultDeadlineMs !== undefined) checkDeadline(this.#defaultDeadlineMs);
    this.#initialServiceMs = options.initialServiceMs ?? 1000;
    this.#alpha = options.ewmaAlpha ?? 0.2;
    if (!(this.#alpha > 0 && this.#alpha <= 1))
      throw new RangeError(`ewmaAlpha must be in (0, 1], got ${this.#alpha}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Waits for a slot on `modelId`. Rejects with QUEUE_FULL, TIMEOUT, ABORTED or DISPOSED. */
  acquire(modelId: string, options: ScheduleOptions = {}): Promise<Slot> {
    if (this.#closed) return Promise.reject(new DisposedError("the scheduler is closed"));
    const priority = options.priority ?? "interactive";
    if (priority !== "interactive" && priority !== "batch")
      throw new RangeError(`priority must be interactive or batch, got ${String(priority)}`);
    const deadlineMs = options.deadlineMs ?? this.#defaultDeadlineMs;
    if (deadlineMs !== undefined) checkDeadline(deadlineMs);
    const outer = options.signal;
    if (outer?.aborted) return Promise.reject(reasonOf(outer));
    const lane = this.#lane(modelId);
    const limit = this.#limit(modelId);
    if (lane.running.size >= limit && lane.queued >= this.#maxQueue) {
      const retryAfterMs = this.retryAfterMs(modelId);
      return Promise.reject(
        new QueueFullError(`the queue of model ${modelId} is full (${lane.queued} waiting)`, {
          details: { model: modelId, retryAfterMs, queued: lane.queued },
        }),
      );
    }
    return new Promise<Slot>((resolve, reject) => {
      const controller = new AbortController();
      const onOuterAbort = () => controller.abort(reasonOf(outer as AbortSignal));
      outer?.addEventListener("abort", onOuterAbort, { once: true });
      const timer =
        deadlineMs === undefined
          ? undefined
          : setTimeout(
              () =>
                controller.abort(
                  new TimeoutError(`the deadline of ${deadlineMs} ms passed`, { details: { deadlineMs } }),
                ),
              deadlineMs,
            );
      const pending: Pending = {
        caller: options.caller ?? "anonymous",
        priority,
        enqueuedAt: Date.now(),
        controller,
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          outer?.removeEventListener("abort", onOuterAbort);
        },
      };
      controller.signal.addEventListener(
        "abort",
        () => {
          // Still queued: leave the line now. Running: the holder sees the signal.
          if (this.#queueOf(lane, priority).remove(pending.caller, pending)) {
            pending.cleanup();
            reject(controller.signal.reason);
            this.#notifyIdle();
          }
        },
        { once: true },
      );
      if (lane.running.size < limit && lane.queued === 0) this.#dispatch(modelId, lane, pending);
      else this.#queueOf(lane, priority).push(pending.caller, pending);
    });
  }

  /** Runs `fn` in a slot, releasing it however `fn` ends. */
  async run<T>(
    modelId: string,
    fn: (signal: AbortSignal, slot: Slot) => Promise<T>,
    options?: ScheduleOptions,
  ): Promise<T> {
    const slot = await this.acquire(modelId, options);
    try {
      return await fn(slot.signal, slot);
    } finally {
      slot.release();
    }
  }

  /** Milliseconds after which a rejected caller may expect room, from the smoothed service time. */
  retryAfterMs(modelId: string): number {
    const lane = this.#lanes.get(modelId);
    if (!lane) return 0;
    const ahead = lane.queued + 1;
    return Math.ceil((ahead / this.#limit(modelId)) * lane.serviceMs);
  }

  stats(modelId: string): ModelQueueStats {
    const lane = this.#lanes.get(modelId);
    return {
      queued: lane?.queued ?? 0,
      running: lane?.running.size ?? 0,
      serviceMs: lane?.serviceMs ?? this.#initialServiceMs,
    };
  }

  /** Requests queued or running, over all models. */
  get pending(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.queued + lane.running.size;
    return n;
  }

  /** Refuses new requests; queued and running ones continue. Resolves when all are done. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return this.idle();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.add(resolve));
  }

  /** Closes, rejects everything queued and aborts everything running with DISPOSED. Idempotent. */
  destroy(): void {
    this.#closed = true;
    for (const lane of this.#lanes.values()) {
      for (const p of [...lane.interactive.drain(), ...lane.batch.drain()]) {
        p.cleanup();
        p.reject(new DisposedError("the scheduler was destroyed"));
      }
      for (const p of lane.running) p.controller.abort(new DisposedError("the scheduler was destroyed"));
    }
    this.#notifyIdle();
  }

  #dispatch(modelId: string, lane: Lane, pending: Pending): void {
    const startedAt = Date.now();
    lane.running.add(pending);
    const slot = new Slot({
      modelId,
      caller: pending.caller,
      waitedMs: startedAt - pending.enqueuedAt,
      signal: pending.controller.signal,
      onRelease: () => {
        pending.cleanup();
        lane.running.delete(pending);
        lane.serviceMs = this.#alpha * (Date.now() - startedAt) + (1 - this.#alpha) * lane.serviceMs;
        this.#pump(modelId, lane);
        this.#notifyIdle();
      },
    });
    pending.resolve(slot);
  }

  #pump(modelId: string, lane: Lane): void {
    const limit = this.#limit(modelId);
    while (lane.running.size < limit) {
      const next = lane.interactive.shift() ?? lane.batch.shift();
      if (!next) return;
      this.#dispatch(modelId, lane, next);
    }
  }

  #notifyIdle(): void {
    if (this.pending > 0) return;
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }

  #lane(modelId: string): Lane {
    let lane = this.#lanes.get(modelId);
    if (!lane) {
      lane = new Lane(this.#initialServiceMs);
      this.#lanes.set(modelId, lane);
    }
    return lane;
  }

  #queueOf(lane: Lane, priority: Priority): FairQueue<Pending> {
    return priority === "interactive" ? lane.interactive : lane.batch;
  }

  #limit(modelId: string): number {
    return Math.max(1, this.#concurrency(modelId));
  }
}

function checkDeadline(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`deadlineMs must be a positive number, got ${ms}`);
}

function reasonOf(signal: AbortSignal): unknown {
  return isSluiceError(signal.reason)
    ? signal.reason
    : new AbortedError("the request was cancelled", { cause: signal.reason });
}
