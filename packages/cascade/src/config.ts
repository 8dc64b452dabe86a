import { CASCADE_DEFAULTS, ConfigInvalidError } from "@sluice/core";
import { z } from "zod";

/** One model tier. Tiers are listed in order of cost, cheapest first. */
export const tierConfigSchema = z.object({
  /** Matches TierBackend.id. */
  id: z.string().min(1),
  /** Answers scoring below this confidence escalate to the next tier. Defaults to `CASCADE_DEFAULTS.confidenceThreshold` (`0.5`). */
  threshold: z.number().min(0).max(1).default(CASCADE_DEFAULTS.confidenceThreshold),
  /** The tier is skipped when its expected queue wait exceeds this. Defaults to no limit. */
  maxQueueWaitMs: z.number().nonnegative().optional(),
  /** Disabled tiers are never routed to. Defaults to `true`. */
  enabled: z.boolean().default(true),
});

/** One arm of an A/B experiment: a share of traffic and the tiers it routes over. */
export const armConfigSchema = z.object({
  id: z.string().min(1),
  /** Relative share of traffic (weights need not sum to 1). */
  weight: z.number().min(0),
  /** Tier ids this arm may use, in cost order. Defaults to every configured tier. */
  tiers: z.array(z.string().min(1)).min(1).optional(),
});

/** A sticky weighted split between arms (model versions or tier routes). */
export const experimentConfigSchema = z.object({
  /** Salts the assignment hash, so two experiments split keys independently. */
  id: z.string().min(1),
  /** The first arm is the control in summaries. */
  arms: z.array(armConfigSchema).min(1),
});

/** How an answer's confidence is scored (see scoreAnswer). */
export const confidenceConfigSchema = z.object({
  /** Multiply the probability score down when the answer is repetitive. Defaults to `true`. */
  repetitionPenalty: z.boolean().default(true),
  /** Compression ratio above which an answer counts as repetitive. Defaults to `2.4`. */
  repetitionLimit: z.number().gt(1).default(2.4),
});

/** Options of a Cascade, as they appear in configuration. */
export const cascadeConfigSchema = z
  .object({
    tiers: z.array(tierConfigSchema).min(1),
    /** Most escalations after the first answer. Defaults to `2`. */
    maxEscalations: z.number().int().min(0).default(2),
    /** Request deadline when the caller gives none, in milliseconds. Defaults to `60000`. */
    deadlineMs: z.number().int().positive().default(60_000),
    /** Serve from a smaller tier (flagged degraded) rather than fail. Defaults to `true`. */
    degrade: z.boolean().default(true),
    /** On a tier's failure try the next tier; `false` ends the request with that tier's error. Defaults to `true`. */
    fallback: z.boolean().default(true),
    confidence: confidenceConfigSchema.default({ repetitionPenalty: true, repetitionLimit: 2.4 }),
    experiment: experimentConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    for (const [i, tier] of config.tiers.entries()) {
      if (ids.has(tier.id))
        ctx.addIssue({ code: "custom", path: ["tiers", i, "id"], message: `duplicate tier ${tier.id}` });
      ids.add(tier.id);
    }
    if (!config.tiers.some((t) => t.enabled))
      ctx.addIssue({ code: "custom", path: ["tiers"], message: "no tier is enabled" });
    const armIds = new Set<string>();
    for (const [i, arm] of (config.experiment?.arms ?? []).entries()) {
      if (armIds.has(arm.id))
        ctx.addIssue({
          code: "custom",
          path: ["experiment", "arms", i, "id"],
          message: `duplicate arm ${arm.id}`,
        });
      armIds.add(arm.id);
      for (const tier of arm.tiers ?? [])
        if (!ids.has(tier))
          ctx.addIssue({
            code: "custom",
            path: ["experiment", "arms", i, "tiers"],
            message: `unknown tier ${tier}`,
          });
    }
  });

export type TierConfig = z.output<typeof tierConfigSchema>;
export type ArmConfig = z.output<typeof armConfigSchema>;
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;
export type ConfidenceConfig = z.output<typeof confidenceConfigSchema>;
export type CascadeConfig = z.output<typeof cascadeConfigSchema>;
/** What a caller writes: defaults may be left out. */
export type CascadeConfigInput = z.input<typeof cascadeConfigSchema>;

/** Validates cascade configuration; throws ConfigInvalidError listing every issue. */
export function parseCascadeConfig(input: unknown): CascadeConfig {
  const result = cascadeConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new ConfigInvalidError(
    `invalid cascade config: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
    { details: { issues } },
  );
}
