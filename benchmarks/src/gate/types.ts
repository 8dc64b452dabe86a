export type Tier = "fast" | "full";

/** The model shape the plan's absolute targets are stated for; absolute budgets judge only its figures. */
export const TARGET_SHAPE = "lfm2-350m-q8_0";

/** One figure a suite measured. `id` matches a budget in budgets.json when it is gated. */
export interface Measurement {
  id: string;
  suite: string;
  what: string;
  value: number;
  unit: string;
  /** Model the figure was measured on (the gate fills in the tier's model when a suite leaves it out). */
  model?: string;
}

export interface SuiteContext {
  tier: Tier;
  /** Path of the generation/embedding model of the tier (lfm2-tiny or the lfm2-350m shape). */
  modelPath: string;
  /** Label of the model, for the report. */
  modelLabel: string;
  /** Path of stories260K, the trained fixture, used to check results are right. */
  storiesPath: string | undefined;
  /** Extra milliseconds the SDK adds per request (the gate's self-test). */
  injectDelayMs: number;
  /** Overrides each suite's number of timed rounds (the gate's self-test runs few). */
  rounds: number | undefined;
  log: (line: string) => void;
}

export interface Suite {
  name: string;
  /** Tiers that run this suite. Defaults to every tier. */
  tiers?: readonly Tier[];
  run(ctx: SuiteContext): Promise<Measurement[]>;
}

/** A result that was wrong: the suite stops before timing anything. */
export class WrongResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WrongResultError";
  }
}
