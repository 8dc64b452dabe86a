import { z } from "zod";
import { authSchema } from "./auth.ts";
import { cacheSchema } from "./cache.ts";
import { cascadeSchema } from "./cascade.ts";
import { contentPolicySchema } from "./contentPolicy.ts";
import { limitsSchema } from "./limits.ts";
import { modelsSchema } from "./models.ts";
import { runtimeSchema } from "./runtime.ts";
import { serverSchema } from "./server.ts";
import { telemetrySchema } from "./telemetry.ts";

/** Every Sluice setting. An empty object parses to defaults that run on a laptop. */
export const sluiceConfigSchema = z
  .strictObject({
    models: modelsSchema,
    runtime: runtimeSchema,
    limits: limitsSchema,
    cache: cacheSchema,
    cascade: cascadeSchema,
    server: serverSchema,
    telemetry: telemetrySchema,
    auth: authSchema,
    contentPolicy: contentPolicySchema,
  })
  // auth.enabled without keys is checked where SLUICE_API_KEYS is merged in (the server), not here.
  .superRefine((config, ctx) => {
    if (config.limits.defaultMaxTokens > config.limits.maxTokens) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "defaultMaxTokens"],
        message: `at most limits.maxTokens (${config.limits.maxTokens})`,
      });
    }
    const tierModels = new Set(config.cascade.tiers.map((t) => t.model));
    for (const [i, arm] of (config.cascade.experiment?.arms ?? []).entries())
      for (const model of arm.tiers ?? [])
        if (!tierModels.has(model))
          ctx.addIssue({
            code: "custom",
            path: ["cascade", "experiment", "arms", i, "tiers"],
            message: `${model} is not the model of a cascade tier`,
          });
    if (config.cache.persistent.enabled && config.cache.persistent.keys.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["cache", "persistent", "keys"],
        message: "at least one key when enabled",
      });
    }
    const audit = config.telemetry.audit;
    if (audit.activeKeyId !== undefined && !audit.hmacKeys.some((k) => k.id === audit.activeKeyId)) {
      ctx.addIssue({
        code: "custom",
        path: ["telemetry", "audit", "activeKeyId"],
        message: "must name one of telemetry.audit.hmacKeys",
      });
    }
  })
  .describe("Sluice configuration.");

/** Validated Sluice configuration. */
export type SluiceConfig = z.infer<typeof sluiceConfigSchema>;
/** What a config file or override may contain (everything optional). */
export type SluiceConfigInput = z.input<typeof sluiceConfigSchema>;
