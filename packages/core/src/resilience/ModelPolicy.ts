import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IPolicy,
  noop,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import { isBreakerFailure, isRetriedError, mapPolicyError } from "./mapPolicyError.ts";

/** Per-model resilience settings. */
export interface ModelPolicyOptions {
  /** Consecutive model failures that open the breaker. Defaults to `5`. */
  breakerThreshold?: number;
  /** Milliseconds an open breaker waits before letting one probe through (half-open). Defaults to `30_000`. */
  halfOpenAfterMs?: number;
  /** Extra attempts for retryable failures (0 = none). Defaults to `1`. */
  retries?: number;
  /** First retry delay in milliseconds; doubles per attempt. Defaults to `100`. */
  retryBaseDelayMs?: number;
}

export type BreakerState = "closed" | "open" | "half-open" | "isolated";

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/**
 * The cockatiel policies of one model: a consecutive-failure breaker with a
 * half-open probe, wrapped in a retry that only repeats retryable
 * SluiceErrors. Only failures of the model count against the breaker; bad
 * input, cancellations and full queues do not.
 */
export class ModelPolicy {
  readonly modelId: string;
  readonly #breaker;
  readonly #policy: IPolicy;
  readonly #listeners = new Set<(state: BreakerState) => void>();
  // Failures already counted, so that one event seen by many requests (a runner crash) counts once.
  readonly #counted = new WeakSet<object>();
  #trialNow = false;
  #openedAt = 0;
  readonly #halfOpenAfterMs: number;

  constructor(modelId: string, options: ModelPolicyOptions = {}) {
    this.modelId = modelId;
    const threshold = positiveInt("breakerThreshold", options.breakerThreshold ?? 5, 1);
    const halfOpenAfter = positiveInt("halfOpenAfterMs", options.halfOpenAfterMs ?? 30_000, 0);
    this.#halfOpenAfterMs = halfOpenAfter;
    const retries = positiveInt("retries", options.retries ?? 1, 0);
    const initialDelay = positiveInt("retryBaseDelayMs", options.retryBaseDelayMs ?? 100, 0);
    this.#breaker = circuitBreaker(
      handleWhen((err) => isBreakerFailure(err) && this.#firstSighting(err)),
      {
        halfOpenAfter: new HalfOpenAfter(halfOpenAfter, () => this.#trialNow),
        breaker: new ConsecutiveBreaker(threshold),
      },
    );
    this.#breaker.onStateChange((s) => {
      // A trial allowed for one recovery does not carry over to the next time the breaker opens.
      if (s !== CircuitState.Open) this.#trialNow = false;
      else this.#openedAt = Date.now();
      for (const listener of this.#listeners) listener(stateNames[s]);
    });
    const retryPolicy =
      retries > 0
        ? retry(handleWhen(isRetriedError), {
            maxAttempts: retries,
            backoff: new ExponentialBackoff({ initialDelay, maxDelay: initialDelay * 32 }),
          })
        : noop;
    this.#policy = wrap(retryPolicy, this.#breaker);
  }

  #firstSighting(err: unknown): boolean {
    const root = rootOf(err);
    if (typeof root !== "object" || root === null) return true;
    if (this.#counted.has(root)) return false;
    this.#counted.add(root);
    return true;
  }

  get state(): BreakerState {
    return stateNames[this.#breaker.state];
  }

  /** Subscribes to breaker state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: BreakerState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `fn` under the breaker and retry; rejects with SluiceErrors only
   * (CIRCUIT_OPEN without calling `fn` while the breaker is open).
   */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.#policy.execute(({ signal: s }) => fn(s), signal);
    } catch (err) {
      throw mapPolicyError(err, { modelId: this.modelId, signal, retryAfterMs: this.#untilTrialMs() });
    }
  }

  /** Milliseconds until an open breaker lets a trial through (what a refused caller should wait). */
  #untilTrialMs(): number {
    if (this.#trialNow) return 0;
    return Math.max(0, this.#halfOpenAfterMs - (Date.now() - this.#openedAt));
  }

  /**
   * Lets the next call through as the half-open trial now instead of after
   * `halfOpenAfterMs`: the model recovered (its runner restarted and is
   * ready), so waiting out the timer would only refuse service that works.
   * No effect while the breaker is closed.
   */
  allowTrial(): void {
    if (this.#breaker.state === CircuitState.Open) this.#trialNow = true;
  }

  /** Records a failure observed outside execute() (e.g. a stream that broke midway); never retried. */
  async recordFailure(err: unknown): Promise<void> {
    await this.#breaker.execute(() => Promise.reject(err)).catch(() => undefined);
  }
}

/**
 * Whether `err` is the first sighting of its failure: errors that share a
 * root (the one RUNNER_CRASHED error a crash hands every in-flight request,
 * wrapped or not) count once.
 */
function rootOf(err: unknown): unknown {
  let e: unknown = err;
  for (let i = 0; i < 8; i++) {
    const cause = (e as { cause?: unknown } | null)?.cause;
    if (!isSluiceErrorWithCode(e, "RUNNER_CRASHED") || !isSluiceErrorWithCode(cause, "RUNNER_CRASHED")) break;
    e = cause;
  }
  return e;
}

function isSluiceErrorWithCode(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

/** The open breaker's wait, cut to zero once a trial is allowed; read each time the breaker is asked. */
class HalfOpenAfter implements IBackoffFactory<unknown> {
  readonly #backoff: IBackoff<unknown>;
  constructor(ms: number, trialNow: () => boolean) {
    const backoff: IBackoff<unknown> = {
      get duration() {
        return trialNow() ? 0 : ms;
      },
      next: () => backoff,
    };
    this.#backoff = backoff;
  }
  next(): IBackoff<unknown> {
    return this.#backoff;
  }
}

/**
 * Runs `fn` with a cooperative cockatiel timeout: its signal aborts after
 * `ms`, and the call rejects with TIMEOUT (or ABORTED if `signal` fired).
 */
export async function withTimeout<T>(
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`timeout must be a positive number of ms, got ${ms}`);
  try {
    return await timeout(ms, TimeoutStrategy.Aggressive).execute(({ signal: s }) => fn(s), signal);
  } catch (err) {
    throw mapPolicyError(err, { signal });
  }
}
