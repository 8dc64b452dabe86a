import type { GenerateParams, GenerateStats } from "@sluice/core";

/** State of a tier's circuit breaker, as its owner (the model host) reports it. */
export type BreakerState = "closed" | "open" | "half-open";

/** What the cascade needs to know about a tier before routing to it. Must be cheap to read. */
export interface TierHealth {
  breaker: BreakerState;
  /** The runner is loaded and accepting work. */
  ready: boolean;
  /** Expected wait in the tier's queue before decoding starts, in milliseconds. */
  expectedQueueWaitMs: number;
  /** The host is short of memory for this tier; a smaller tier should be preferred. Defaults to `false`. */
  memoryPressure?: boolean;
}

/** Per-attempt controls the cascade hands to a tier. */
export interface TierCallOptions {
  /** Aborted when the caller goes away or the attempt's deadline passes. */
  signal: AbortSignal;
  /** Milliseconds this attempt may take (what is left of the request's deadline). */
  deadlineMs: number;
}

/** A finished answer of one tier. */
export interface TierAnswer {
  text: string;
  stats: GenerateStats;
}

/**
 * The narrow port through which the cascade reaches a model tier. The SDK
 * adapts the model host, scheduler and breakers to it; tests use tiny real
 * engines or hand-written backends. Failures reject with SluiceErrors.
 */
export interface TierBackend {
  readonly id: string;
  health(): TierHealth;
  generate(params: GenerateParams, options: TierCallOptions): Promise<TierAnswer>;
}
