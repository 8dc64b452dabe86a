import { z } from "zod";
import { ratio, section } from "./fields.ts";

const tierSchema = z
  .strictObject({
    model: z.string().min(1).describe("Model of this tier (catalog id, path or URI)."),
    confidenceThreshold: ratio()
      .default(0.5)
      .describe("Answers below this confidence escalate to the next tier. Runtime-safe. Defaults to `0.5`."),
    cost: z
      .number()
      .min(0)
      .default(1)
      .describe("Relative cost; cheaper healthy tiers are tried first. Defaults to `1`."),
  })
  .describe("One tier of the cascade.");

export const cascadeSchema = section(
  {
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Route through tiers instead of one model. Defaults to `false` (the default model serves all).",
      ),
    tiers: z.array(tierSchema).default([]).describe("Tiers, cheapest first. Defaults to `[]`."),
    fallback: z
      .boolean()
      .default(true)
      .describe("On a tier's failure try the next healthy tier instead of failing. Defaults to `true`."),
    experiment: z
      .string()
      .optional()
      .describe(
        "Name of the flag whose variants split traffic between tier sets (A/B, sticky per key). Defaults to unset.",
      ),
  },
  "Model cascade.",
);
export type CascadeConfig = z.infer<typeof cascadeSchema>;
