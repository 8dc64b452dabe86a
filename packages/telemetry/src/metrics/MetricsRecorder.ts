import { outcomeOf, type RequestOutcome } from "./outcome.ts";
import { type BreakerState, BreakerStateValue, type SluiceMetrics } from "./SluiceMetrics.ts";

/** One finished request, as the transport sees it. */
export interface RequestFinishedEvent {
  op: string;
  model: string;
  /** Stable error code, or `"OK"`. */
  code: string;
  /** HTTP status of the response; decides client vs server error for unknown codes. */
  httpStatus?: number;
  durationSeconds: number;
}

/** Tokens of one finished inference. */
export interface TokensEvent {
  model: string;
  promptTokens: number;
  generatedTokens: number;
}

/**
 * Event-shaped helpers over {@link SluiceMetrics}: the composition root
 * subscribes other packages' events and forwards them here, so no package but
 * telemetry knows metric names or label sets.
 */
export class MetricsRecorder {
  readonly #m: SluiceMetrics;
  readonly #tokenListeners = new Set<(event: TokensEvent) => void>();

  /** @internal Built by `createTelemetry`. */
  constructor(metrics: SluiceMetrics) {
    this.#m = metrics;
  }

  /** Records latency and count of a finished request; returns the outcome label it used. */
  requestFinished(event: RequestFinishedEvent): RequestOutcome {
    const outcome = outcomeOf(event.code, event.httpStatus);
    this.#m.requestDuration.observe({ op: event.op, model: event.model, outcome }, event.durationSeconds);
    this.#m.requests.inc({ op: event.op, model: event.model, code: event.code });
    return outcome;
  }

  queueWait(model: string, seconds: number): void {
    this.#m.queueWait.observe({ model }, seconds);
  }

  firstToken(model: string, seconds: number): void {
    this.#m.timeToFirstToken.observe({ model }, seconds);
  }

  /** Counts the tokens of one finished inference; listeners (the model-access audit) hear of it too. */
  tokens(model: string, prompt: number, generated: number): void {
    if (prompt > 0) this.#m.tokens.inc({ model, kind: "prompt" }, prompt);
    if (generated > 0) this.#m.tokens.inc({ model, kind: "generated" }, generated);
    for (const listener of this.#tokenListeners) {
      try {
        listener({ model, promptTokens: prompt, generatedTokens: generated });
      } catch {
        // An observer must never break a request.
      }
    }
  }

  /** Calls `listener` after each `tokens` record, in the request's async context; returns the unsubscribe. */
  onTokens(listener: (event: TokensEvent) => void): () => void {
    this.#tokenListeners.add(listener);
    return () => this.#tokenListeners.delete(listener);
  }

  /** A generation's sequence reuse: `reusedTokens` > 0 is a hit that skipped that many prompt tokens. */
  sequenceReuse(model: string, reusedTokens: number): void {
    this.#m.sequenceReuse.inc({ model, result: reusedTokens > 0 ? "hit" : "miss" });
    if (reusedTokens > 0) this.#m.reusedPromptTokens.inc({ model }, reusedTokens);
  }

  queue(model: string, depth: number, capacity?: number): void {
    this.#m.queueDepth.set({ model }, depth);
    if (capacity !== undefined) this.#m.queueCapacity.set({ model }, capacity);
  }

  sequencesBusy(model: string, busy: number): void {
    this.#m.sequencesBusy.set({ model }, busy);
  }

  modelMemory(model: string, kind: "estimate" | "rss", bytes: number): void {
    this.#m.modelMemory.set({ model, kind }, bytes);
  }

  /** Forgets a model's gauges after unload so dashboards stop showing it. */
  modelUnloaded(model: string): void {
    for (const kind of ["estimate", "rss"]) this.#m.modelMemory.remove({ model, kind });
    this.#m.sequencesBusy.remove({ model });
  }

  memoryBudget(bytes: number): void {
    this.#m.memoryBudget.set(bytes);
  }

  breaker(model: string, state: BreakerState): void {
    this.#m.breakerState.set({ model }, BreakerStateValue[state]);
  }

  cache(cache: "embedding" | "result", result: "hit" | "miss" | "shared" | "error"): void {
    this.#m.cacheRequests.inc({ cache, result });
  }

  modelLoad(model: string, outcome: "success" | "failure" | "rejected"): void {
    this.#m.modelLoads.inc({ model, outcome });
  }

  runnerRestart(model: string): void {
    this.#m.runnerRestarts.inc({ model });
  }

  /** A content policy redacted or blocked input or output. */
  contentPolicy(stage: "input" | "output", action: "redact" | "block", policy: string): void {
    this.#m.contentPolicy.inc({ stage, action, policy });
  }

  configReload(outcome: "applied" | "rejected" | "unchanged" | "restart_required"): void {
    this.#m.configReloads.inc({ outcome });
  }

  /** Publishes the p95 latency targets (seconds per op) that the alert rules compare against. */
  latencyTargets(targets: Readonly<Record<string, number>>): void {
    this.#m.latencyTarget.reset();
    for (const [op, seconds] of Object.entries(targets)) this.#m.latencyTarget.set({ op }, seconds);
  }
}
