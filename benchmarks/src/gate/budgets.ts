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
    const effectiveLimit =
      budget.limit === 0 ? 0 : budget.op === "<=" ? budget.limit * (1 + margin) : budget.limit * (1 - margin);
    const within =
      measurement !== undefined &&
      Number.isFinite(measurement.value) &&
      (budget.op === "<=" ? measurement.value <= effectiveLimit : measurement.value >= effectiveLimit);
    return {
      budget,
      measurement,
      effectiveLimit,
      gated,
      pass: within || (!gated && measurement !== undefined),
    };
  });
}
