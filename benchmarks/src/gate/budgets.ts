import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Measurement, Tier } from "./types.ts";

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
});
const fileSchema = z.object({
  absoluteMargin: z.number().min(0),
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
  /** The limit applied on this tier (absolute budgets get the margin). */
  effectiveLimit: number;
  gated: boolean;
  pass: boolean;
  /** Whether the plan target itself (`budget.limit`, no margin) is met. */
  planMet: boolean;
}

/**
 * Ratios gate on every tier; absolute budgets gate only on the full tier, with
 * the margin widening the limit in the direction that tolerates noise.
 */
export function judge(file: BudgetFile, measurements: readonly Measurement[], tier: Tier): Verdict[] {
  return file.budgets.map((budget) => {
    const measurement = measurements.find((m) => m.id === budget.id);
    const gated = budget.kind === "ratio" || tier === "full";
    const margin = budget.kind === "absolute" ? file.absoluteMargin : 0;
    const base = budget.gate?.[tier] ?? budget.limit;
    const effectiveLimit = base === 0 ? 0 : budget.op === "<=" ? base * (1 + margin) : base * (1 - margin);
    const meets = (limit: number) =>
      measurement !== undefined &&
      Number.isFinite(measurement.value) &&
      (budget.op === "<=" ? measurement.value <= limit : measurement.value >= limit);
    return {
      budget,
      measurement,
      effectiveLimit,
      gated,
      pass: meets(effectiveLimit) || (!gated && measurement !== undefined),
      planMet: meets(budget.limit),
    };
  });
}
