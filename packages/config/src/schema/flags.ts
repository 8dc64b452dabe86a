import { z } from "zod";

const scalar = z.union([z.boolean(), z.number(), z.string()]);

/** A flag split between variants by weight, sticky per targeting key (A/B experiments). */
export const variantFlagSchema = z
  .strictObject({
    variants: z
      .record(z.string().min(1), scalar)
      .refine((v) => Object.keys(v).length > 0, "at least one variant")
      .describe("Variant name → value."),
    weights: z
      .record(z.string().min(1), z.number().min(0))
      .optional()
      .describe("Variant name → relative weight. Defaults to equal weights."),
    defaultVariant: z
      .string()
      .optional()
      .describe("Variant served without a targeting key. Defaults to the first variant."),
  })
  .describe("A flag with weighted variants.");
export type VariantFlag = z.infer<typeof variantFlagSchema>;

export const flagsSchema = z
  .record(z.string().min(1), z.union([scalar, variantFlagSchema]))
  .default({})
  .describe(
    "Feature flags read through OpenFeature: a plain value, or `{ variants, weights }` for A/B splits. Runtime-safe. Defaults to `{}`.",
  );
export type FlagsConfig = z.infer<typeof flagsSchema>;
