import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
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

  constructor(modelId: string, options: ModelPolicyOptions = {}) {
    this.modelId = modelId;
    const threshold = positiveInt("breakerThreshold", options.breakerThreshold ?? 5, 1);
    const halfOpenAfter = positiveInt("halfOpenAfterMs", options.halfOpenAfterMs ?? 30_000, 0);
    const retries = positiveInt("retries", options.retries ?? 1, 0);
    const initialDelay = positiveInt("retryBaseDelayMs", options.retryBaseDelayMs ?? 100, 0);
    this.#breaker = circuitBreaker(handleWhen(isBreakerFailure), {
      halfOpenAfter,
      breaker: new ConsecutiveBreaker(threshold),
    });
    this.#breaker.onStateChange((s) => {
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
      throw mapPolicyError(err, { modelId: this.modelId, signal });
    }
  }

  /** Records a failure observed outside execute() (e.g. a stream that broke midway); never retried. */
  async recordFailure(err: unknown): Promise<void> {
    await this.#breaker.execute(() => Promise.reject(err)).catch(() => undefined);
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
