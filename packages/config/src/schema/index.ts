import { z } from "zod";
import { authSchema } from "./auth.ts";
import { cacheSchema } from "./cache.ts";
import { cascadeSchema } from "./cascade.ts";
import { contentPolicySchema } from "./contentPolicy.ts";
import { flagsSchema } from "./flags.ts";
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
    flags: flagsSchema,
  })
  .superRefine((config, ctx) => {
    if (config.limits.defaultMaxTokens > config.limits.maxTokens) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "defaultMaxTokens"],
        message: `at most limits.maxTokens (${config.limits.maxTokens})`,
      });
    }
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
    if (config.auth.enabled && config.auth.keys.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["auth", "keys"],
        message: "at least one key when auth is enabled",
      });
    }
  })
  .describe("Sluice configuration.");

/** Validated Sluice configuration. */
export type SluiceConfig = z.infer<typeof sluiceConfigSchema>;
/** What a config file or override may contain (everything optional). */
export type SluiceConfigInput = z.input<typeof sluiceConfigSchema>;
