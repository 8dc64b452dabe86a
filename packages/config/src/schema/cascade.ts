import { CASCADE_DEFAULTS } from "@sluice/core";
import { z } from "zod";
import { ratio, section } from "./fields.ts";

const tierSchema = z
  .strictObject({
    model: z.string().min(1).describe("Model of this tier (catalog id, path or URI)."),
    confidenceThreshold: ratio()
      .default(CASCADE_DEFAULTS.confidenceThreshold)
      .describe(
        `Answers below this confidence escalate to the next tier. Defaults to \`${CASCADE_DEFAULTS.confidenceThreshold}\`.`,
      ),
    cost: z
      .number()
      .min(0)
      .default(1)
      .describe("Relative cost; tiers are tried cheapest first. Defaults to `1`."),
  })
  .describe("One tier of the cascade.");

const armSchema = z
  .strictObject({
    id: z.string().min(1).describe("Name of the arm in `cascade.abSummary` and the A/B panel."),
    weight: z.number().min(0).describe("Relative share of callers (weights need not sum to 1)."),
    tiers: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Models (as in `tiers[].model`) this arm routes over. Defaults to every tier."),
  })
  .describe("One arm of an A/B experiment.");

const experimentSchema = z
  .strictObject({
    id: z.string().min(1).describe("Name of the experiment; salts the sticky assignment of callers."),
    arms: z.array(armSchema).min(1).describe("Arms; the first is the control in summaries."),
  })
  .describe("An A/B split of callers between tier sets, sticky per API key.");

export const cascadeSchema = section(
  {
    enabled: z
      .boolean()
      .default(false)
      .describe("Serve model `auto` through the tiers. Defaults to `false` (`auto` is the default model)."),
    tiers: z.array(tierSchema).default([]).describe("Tiers, cheapest first. Defaults to `[]`."),
    fallback: z
      .boolean()
      .default(true)
      .describe(
        "On a tier's failure try the next healthy tier; `false` fails the request with the tier's error. Defaults to `true`.",
      ),
    experiment: experimentSchema.optional().describe("A/B experiment over the tiers. Defaults to unset."),
  },
  "Model cascade.",
);
export type CascadeConfig = z.infer<typeof cascadeSchema>;
