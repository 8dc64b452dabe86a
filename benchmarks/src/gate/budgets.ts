import { readFileSync } from "node:fs";
import { z } from "zod";
import { type Measurement, TARGET_SHAPE, type Tier } from "./types.ts";

const budgetSchema = z.object({
  id: z.string(),
  kind: z.enum(["absolute", "ratio"]),
  op: z.enum(["<=", ">="]),
  limit: z.number(),
  unit: z.string(),
  what: z.string(),
  /** Limits enforced per tier instead of `limit`, where the plan target is out of reach on this hardware. */
  gate: z.object({ fast: z.number().optional(), full: z.number().optional() }).optional(),
  /** Why a gate differs from the plan target. */
  why: z.string().optional(),
  /**
   * Raw node-llama-cpp's figure for the same work, measured in the same run.
   * When it misses the target too, the target is out of this machine's reach
   * in this run: the budget then gates Sluice at `maxRatio` × that figure and
   * the report says the target is NOT met.
   */
  reach: z.object({ baseline: z.string(), maxRatio: z.number().min(1) }).optional(),
});
const fileSchema = z.object({
  typicalGeneration: z.object({ promptTokens: z.number().int(), newTokens: z.number().int() }),
  budgets: z.array(budgetSchema),
});
export type Budget = z.infer<typeof budgetSchema>;
export type BudgetFile = z.infer<typeof fileSchema>;

export function loadBudgets(path: string): BudgetFile {
  return fileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

export interface Verdict {
  budget: Budget;
  measurement: Measurement | undefined;
  /** The limit applied on this tier: the plan target, or the tier's `gate` floor where the target is out of reach. */
  effectiveLimit: number;
  gated: boolean;
  pass: boolean;
  /** Whether the plan target itself (`budget.limit`, no margin) is met. */
  planMet: boolean;
  /** Raw node-llama-cpp missed the target too (budgets with `reach`): out of this machine's reach in this run. */
  outOfReach: boolean;
  baseline: Measurement | undefined;
}

/**
 * Every budget gates on every tier, with no margin: ratios on the tier's
 * model, absolute budgets on figures measured on the 350M shape (the fast tier
 * measures them in its targets suite, the full tier in every suite). Where a
 * plan target is out of reach on this hardware the budget's `gate` holds the
 * measured level as a regression floor, and the verdict still says the plan
 * target is NOT met.
 */
export function judge(file: BudgetFile, measurements: readonly Measurement[], tier: Tier): Verdict[] {
  return file.budgets.map((budget) => {
    const measurement = measurements.find(
      (m) => m.id === budget.id && (budget.kind === "ratio" || m.model === TARGET_SHAPE),
    );
    const baseline = budget.reach
      ? measurements.find((m) => m.id === budget.reach?.baseline && m.model === measurement?.model)
      : undefined;
    const meetsWith = (value: number | undefined, limit: number) =>
      value !== undefined && Number.isFinite(value) && (budget.op === "<=" ? value <= limit : value >= limit);
    const meets = (limit: number) => meetsWith(measurement?.value, limit);
    const outOfReach = baseline !== undefined && !meetsWith(baseline.value, budget.limit);
    const reachLimit =
      outOfReach && budget.reach
        ? budget.op === "<="
          ? baseline.value * budget.reach.maxRatio
          : baseline.value / budget.reach.maxRatio
        : undefined;
    const effectiveLimit = reachLimit ?? budget.gate?.[tier] ?? budget.limit;
    return {
      budget,
      measurement,
      effectiveLimit,
      gated: true,
      pass: meets(effectiveLimit),
      planMet: meets(budget.limit),
      outOfReach,
      baseline,
    };
  });
}
