import type { ArmConfig, ExperimentConfig } from "./config.ts";
import { stableUnitHash } from "./stableHash.ts";
import { RunningStats, type TestResult, twoProportionZTest, welchTTest } from "./statistics.ts";

/** Supplies arm weights at assignment time (e.g. from a feature flag); undefined keeps the configured ones. */
export type WeightsSource = () => Readonly<Record<string, number>> | undefined;

/** Options of an Experiment. */
export interface ExperimentOptions {
  /** Overrides the configured weights per arm id. Defaults to the configured weights. */
  getWeights?: WeightsSource;
}

/** What one request contributed to its arm. */
export interface ArmOutcome {
  latencyMs: number;
  /** Final answer's confidence score; absent on error. */
  confidence?: number;
  error: boolean;
  /** Escalations the request made (0 = answered by its first attempt). */
  escalations: number;
}

/** Running figures of one arm. */
export interface ArmStats {
  arm: string;
  requests: number;
  errors: number;
  /** Requests that escalated at least once. */
  escalated: number;
  escalations: number;
  latencyMeanMs: number;
  latencyVariance: number;
  confidenceMean: number;
}

/** One arm compared with the control arm (the first). p-values are two-sided. */
export interface ArmComparison extends ArmStats {
  errorRate: number;
  escalationRate: number;
  /** Two-proportion z-test of the error rate against the control. */
  errorTest: TestResult;
  /** Two-proportion z-test of the escalation rate against the control. */
  escalationTest: TestResult;
  /** Welch's t-test of mean latency against the control. */
  latencyTest: TestResult & { df: number };
  /** Some test has p < alpha. */
  significant: boolean;
}

export interface ExperimentSummary {
  experiment: string;
  control: string;
  alpha: number;
  arms: ArmComparison[];
}

interface ArmAccumulator {
  requests: number;
  errors: number;
  escalated: number;
  escalations: number;
  latency: RunningStats;
  confidence: RunningStats;
}

/**
 * A sticky weighted split: a key always hashes to the same point in [0, 1),
 * and arms own consecutive slices of that interval in proportion to their
 * weights, so assignments agree across replicas and restarts and a weight
 * change moves only the keys whose slice changed hands.
 */
export class Experiment {
  readonly id: string;
  readonly arms: readonly ArmConfig[];
  readonly #getWeights: WeightsSource | undefined;
  readonly #stats = new Map<string, ArmAccumulator>();

  constructor(config: ExperimentConfig, options: ExperimentOptions = {}) {
    if (config.arms.length === 0) throw new RangeError(`experiment ${config.id} has no arms`);
    if (!validWeights(config.arms.map((a) => a.weight)))
      throw new RangeError(`experiment ${config.id}: weights must be finite, non-negative and not all 0`);
    this.id = config.id;
    this.arms = config.arms;
    this.#getWeights = options.getWeights;
    for (const arm of config.arms)
      this.#stats.set(arm.id, {
        requests: 0,
        errors: 0,
        escalated: 0,
        escalations: 0,
        latency: new RunningStats(),
        confidence: new RunningStats(),
      });
  }

  /** Weights in use now: the source's when they are valid, else the configured ones. */
  weights(): number[] {
    const configured = this.arms.map((a) => a.weight);
    if (!this.#getWeights) return configured;
    let override: Readonly<Record<string, number>> | undefined;
    try {
      override = this.#getWeights();
    } catch {
      // A broken flag provider must not take traffic down; the configured split stands.
      return configured;
    }
    if (!override) return configured;
    const merged = this.arms.map((a) => override[a.id] ?? a.weight);
    return validWeights(merged) ? merged : configured;
  }

  /** The arm of a key. Same key and weights → same arm. */
  assign(key: string): ArmConfig {
    const weights = this.weights();
    const total = weights.reduce((s, w) => s + w, 0);
    const point = stableUnitHash(key, this.id) * total;
    let edge = 0;
    for (const [i, arm] of this.arms.entries()) {
      edge += weights[i] as number;
      if (point < edge && (weights[i] as number) > 0) return arm;
    }
    // Rounding can leave the point at the very top; it belongs to the last arm with weight.
    const last = weights.findLastIndex((w) => w > 0);
    return this.arms[last] as ArmConfig;
  }

  record(armId: string, outcome: ArmOutcome): void {
    const acc = this.#stats.get(armId);
    if (!acc) throw new RangeError(`experiment ${this.id} has no arm ${armId}`);
    acc.requests++;
    if (outcome.error) acc.errors++;
    if (outcome.escalations > 0) acc.escalated++;
    acc.escalations += outcome.escalations;
    acc.latency.add(outcome.latencyMs);
    if (outcome.confidence !== undefined) acc.confidence.add(outcome.confidence);
  }

  stats(): ArmStats[] {
    return this.arms.map((arm) => {
      const acc = this.#stats.get(arm.id) as ArmAccumulator;
      return {
        arm: arm.id,
        requests: acc.requests,
        errors: acc.errors,
        escalated: acc.escalated,
        escalations: acc.escalations,
        latencyMeanMs: acc.latency.mean,
        latencyVariance: acc.latency.variance,
        confidenceMean: acc.confidence.mean,
      };
    });
  }

  /**
   * Every arm against the control (the first arm): two-proportion z-tests on
   * error and escalation rates, Welch's t-test on latency. Normal and t
   * approximations need roughly 30+ requests and 5+ events per arm to be trusted.
   * @param alpha Significance level. Defaults to `0.05`.
   */
  summary(alpha = 0.05): ExperimentSummary {
    const control = this.#stats.get(this.arms[0]?.id as string) as ArmAccumulator;
    const arms = this.stats().map((s): ArmComparison => {
      const acc = this.#stats.get(s.arm) as ArmAccumulator;
      const errorTest = twoProportionZTest(acc.errors, acc.requests, control.errors, control.requests);
      const escalationTest = twoProportionZTest(
        acc.escalated,
        acc.requests,
        control.escalated,
        control.requests,
      );
      const latencyTest = welchTTest(acc.latency, control.latency);
      return {
        ...s,
        errorRate: acc.requests ? acc.errors / acc.requests : Number.NaN,
        escalationRate: acc.requests ? acc.escalated / acc.requests : Number.NaN,
        errorTest,
        escalationTest,
        latencyTest,
        significant: [errorTest.p, escalationTest.p, latencyTest.p].some((p) => p < alpha),
      };
    });
    return { experiment: this.id, control: this.arms[0]?.id as string, alpha, arms };
  }
}

function validWeights(weights: readonly number[]): boolean {
  return weights.every((w) => Number.isFinite(w) && w >= 0) && weights.some((w) => w > 0);
}
