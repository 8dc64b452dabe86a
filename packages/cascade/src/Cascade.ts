import type { GenerateParams, SluiceError } from "@sluice/core";
import { InvalidInputError } from "@sluice/core";
import { cascadeFailure } from "./cascadeFailure.ts";
import { checkTier } from "./checkTier.ts";
import {
  type CascadeConfig,
  type CascadeConfigInput,
  parseCascadeConfig,
  type TierConfig,
} from "./config.ts";
import { Experiment, type WeightsSource } from "./Experiment.ts";
import type { CascadeEvent, CascadeListener } from "./events.ts";
import { fallsBack } from "./fallsBack.ts";
import { runAttempt } from "./runAttempt.ts";
import { type AnswerConfidence, scoreAnswer } from "./scoreAnswer.ts";
import type { TierAnswer, TierBackend } from "./TierBackend.ts";
import type { AttemptRecord, DecisionTrace, TierDecision } from "./trace.ts";

/** Options of a Cascade. */
export interface CascadeOptions {
  /** Tiers, thresholds and experiment; validated with parseCascadeConfig. */
  config: CascadeConfigInput;
  /** One backend per configured tier id. */
  backends: readonly TierBackend[];
  /** Live arm weights, e.g. from a feature flag. Defaults to the configured weights. */
  getWeights?: WeightsSource;
  /** Telemetry hook; exceptions it throws are swallowed. Defaults to none. */
  onEvent?: CascadeListener;
  /** Clock in milliseconds. Defaults to `performance.now`. */
  now?: () => number;
}

/** Per-request controls. */
export interface CascadeRequestOptions {
  signal?: AbortSignal;
  /** Milliseconds the whole request may take. Defaults to the config's `deadlineMs`. */
  deadlineMs?: number;
  /** Sticky key for the experiment (user, tenant or session id). Without one the control arm serves. */
  key?: string;
  /** Tier to start from; the tiers below it serve only as degradation. Defaults to the cheapest. */
  tier?: string;
}

/** An answer and how the cascade reached it. */
export interface CascadeResponse extends TierAnswer {
  /** Tier that produced the answer. */
  tier: string;
  confidence: AnswerConfidence;
  /** The answer is below its tier's threshold (no tier above could do better in time). */
  lowConfidence: boolean;
  /** Served by a smaller tier than the request needed, because bigger ones were unavailable. */
  degraded: boolean;
  reason?: string;
  arm?: string;
  trace: DecisionTrace;
}

interface Held {
  tier: TierConfig;
  answer: TierAnswer;
  confidence: AnswerConfidence;
}

/**
 * Routes each request over model tiers in cost order: it skips unhealthy or
 * overloaded tiers, escalates when an answer's confidence is below its tier's
 * threshold, falls back to the next tier on failures of the tier (see
 * fallsBack), and serves a
 * smaller tier (flagged degraded) rather than fail.
 */
export class Cascade {
  readonly config: CascadeConfig;
  readonly experiment: Experiment | undefined;
  readonly #backends = new Map<string, TierBackend>();
  readonly #onEvent: CascadeListener | undefined;
  readonly #now: () => number;

  constructor(options: CascadeOptions) {
    this.config = parseCascadeConfig(options.config);
    for (const backend of options.backends) this.#backends.set(backend.id, backend);
    for (const tier of this.config.tiers)
      if (!this.#backends.has(tier.id)) throw new RangeError(`no backend for tier ${tier.id}`);
    this.experiment = this.config.experiment
      ? new Experiment(this.config.experiment, { getWeights: options.getWeights })
      : undefined;
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Changes tiers' confidence thresholds in place (a hot reload), effective
   * for the next request; ids of no tier are ignored.
   *
   * @throws RangeError naming a threshold outside 0 … 1.
   */
  setThresholds(thresholds: Readonly<Record<string, number>>): void {
    for (const [id, value] of Object.entries(thresholds))
      if (!(value >= 0 && value <= 1))
        throw new RangeError(`threshold of ${id} must be in [0, 1], got ${value}`);
    for (const tier of this.config.tiers) {
      const value = thresholds[tier.id];
      if (value !== undefined) tier.threshold = value;
    }
  }

  /** Generates an answer, or rejects with one SluiceError whose `details.attempts` lists every tier. */
  async generate(params: GenerateParams, options: CascadeRequestOptions = {}): Promise<CascadeResponse> {
    const deadlineMs = options.deadlineMs ?? this.config.deadlineMs;
    if (!(deadlineMs > 0 && Number.isFinite(deadlineMs)))
      throw new InvalidInputError(`deadlineMs must be a positive number of milliseconds, got ${deadlineMs}`);
    const started = this.#now();
    const deadlineAt = started + deadlineMs;
    const arm = this.experiment
      ? options.key === undefined
        ? this.experiment.arms[0]
        : this.experiment.assign(options.key)
      : undefined;
    const tiers = this.config.tiers;
    const allowed = new Set(arm?.tiers ?? tiers.map((t) => t.id));
    const start =
      options.tier === undefined
        ? tiers.findIndex((t) => allowed.has(t.id))
        : tiers.findIndex((t) => t.id === options.tier);
    if (start < 0) throw new InvalidInputError(`unknown tier ${options.tier}`);
    const trace: DecisionTrace = {
      arm: arm?.id,
      considered: tiers.map((t, i): TierDecision => {
        if (!allowed.has(t.id))
          return {
            tier: t.id,
            decision: "skipped",
            reason: "not-in-arm",
            detail: `arm ${arm?.id} does not use tier ${t.id}`,
          };
        return i < start
          ? { tier: t.id, decision: "not-needed", smaller: true }
          : { tier: t.id, decision: "not-needed" };
      }),
      attempts: [],
      escalations: 0,
      degraded: false,
    };
    const errors: SluiceError[] = [];
    const blocked: string[] = [];
    let held: Held | undefined;

    const fail = (aborted?: SluiceError): never => {
      const error = cascadeFailure(trace, errors, aborted);
      const latencyMs = this.#now() - started;
      if (arm) this.experiment?.record(arm.id, { latencyMs, error: true, escalations: trace.escalations });
      this.#emit({ type: "error", error, trace, latencyMs });
      throw error;
    };
    const finish = (from: Held, degradedReason?: string): CascadeResponse => {
      trace.finalTier = from.tier.id;
      if (degradedReason) {
        trace.degraded = true;
        trace.degradedReason = degradedReason;
        this.#emit({ type: "degrade", tier: from.tier.id, reason: degradedReason });
      }
      const latencyMs = this.#now() - started;
      if (arm)
        this.experiment?.record(arm.id, {
          latencyMs,
          error: false,
          confidence: from.confidence.score,
          escalations: trace.escalations,
        });
      this.#emit({ type: "result", trace, latencyMs });
      return {
        ...from.answer,
        tier: from.tier.id,
        confidence: from.confidence,
        lowConfidence: from.confidence.score < from.tier.threshold,
        degraded: trace.degraded,
        reason: degradedReason,
        arm: arm?.id,
        trace,
      };
    };

    // Upward: cheapest allowed tier first, escalating on low confidence, falling back on errors.
    for (let i = start; i < tiers.length; i++) {
      const tier = tiers[i] as TierConfig;
      const decision = trace.considered[i] as TierDecision;
      if (!allowed.has(tier.id)) continue;
      if (held && trace.escalations >= this.config.maxEscalations) {
        this.#skip(decision, "escalation-limit", `${trace.escalations} escalation(s) already made`);
        continue;
      }
      const verdict = checkTier(tier, this.#health(tier.id), deadlineAt - this.#now());
      if (verdict) {
        this.#skip(decision, verdict.reason, verdict.detail);
        if (held) blocked.push(verdict.detail);
        continue;
      }
      if (held) {
        trace.escalations++;
        this.#emit({
          type: "escalate",
          from: held.tier.id,
          score: held.confidence.score,
          threshold: held.tier.threshold,
        });
      }
      const outcome = await this.#attempt(tier, decision, params, deadlineAt, options.signal, trace, arm?.id);
      if ("error" in outcome) {
        errors.push(outcome.error);
        if (outcome.stop)
          return held
            ? finish(held, `tier ${tier.id} failed (${outcome.error.code}) after a low-confidence answer`)
            : fail(outcome.callerAborted ? outcome.error : undefined);
        if (held) blocked.push(`tier ${tier.id} failed (${outcome.error.code})`);
        continue;
      }
      if (outcome.confidence.score >= tier.threshold) return finish(outcome);
      held = outcome;
    }
    // Below threshold with nothing better available: degraded only if a bigger tier existed but could not serve.
    if (held)
      return finish(held, blocked.length > 0 ? `escalation blocked: ${blocked.join("; ")}` : undefined);

    // Downward: the requested tiers could not serve; a smaller answer beats none.
    if (this.config.degrade)
      for (let i = start - 1; i >= 0; i--) {
        const tier = tiers[i] as TierConfig;
        const decision = trace.considered[i] as TierDecision;
        if (!allowed.has(tier.id)) continue;
        const verdict = checkTier(tier, this.#health(tier.id), deadlineAt - this.#now());
        if (verdict) {
          this.#skip(decision, verdict.reason, verdict.detail);
          continue;
        }
        const outcome = await this.#attempt(
          tier,
          decision,
          params,
          deadlineAt,
          options.signal,
          trace,
          arm?.id,
        );
        if ("error" in outcome) {
          errors.push(outcome.error);
          if (outcome.stop) return fail(outcome.callerAborted ? outcome.error : undefined);
          continue;
        }
        return finish(outcome, `tier ${tiers[start]?.id} unavailable; served by smaller tier ${tier.id}`);
      }
    return fail();
  }

  #health(id: string) {
    return (this.#backends.get(id) as TierBackend).health();
  }

  #skip(decision: TierDecision, reason: TierDecision["reason"] & string, detail: string): void {
    decision.decision = "skipped";
    decision.reason = reason;
    decision.detail = detail;
    this.#emit({ type: "skip", tier: decision.tier, reason, detail });
  }

  async #attempt(
    tier: TierConfig,
    decision: TierDecision,
    params: GenerateParams,
    deadlineAt: number,
    signal: AbortSignal | undefined,
    trace: DecisionTrace,
    arm: string | undefined,
  ): Promise<Held | { error: SluiceError; stop: boolean; callerAborted: boolean }> {
    decision.decision = "attempted";
    const began = this.#now();
    const backend = this.#backends.get(tier.id) as TierBackend;
    const result = await runAttempt(backend, { ...params, confidence: true }, deadlineAt - began, signal);
    const latencyMs = this.#now() - began;
    let record: AttemptRecord;
    let outcome: Held | { error: SluiceError; stop: boolean; callerAborted: boolean };
    if (result.ok) {
      const confidence = scoreAnswer(
        result.answer.text,
        result.answer.stats.confidence,
        this.config.confidence,
      );
      const accepted = confidence.score >= tier.threshold;
      record = {
        tier: tier.id,
        outcome: accepted ? "accepted" : "low-confidence",
        latencyMs,
        threshold: tier.threshold,
        confidence,
      };
      outcome = { tier, answer: result.answer, confidence };
    } else {
      const { error } = result;
      record = {
        tier: tier.id,
        outcome: "failed",
        latencyMs,
        threshold: tier.threshold,
        error: { code: error.code, message: error.message, retryable: error.retryable },
      };
      // Another tier cannot help once the caller left, the deadline passed, or the request itself was refused.
      const stop = result.callerAborted || result.timedOut || !this.config.fallback || !fallsBack(error);
      outcome = { error, stop, callerAborted: result.callerAborted };
    }
    trace.attempts.push(record);
    this.#emit({ type: "attempt", attempt: record, arm });
    return outcome;
  }

  #emit(event: CascadeEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch {
      // Telemetry must never change the outcome of a request.
    }
  }
}
