import { z } from "zod";
import { section } from "./fields.ts";

const apiKeySchema = z
  .strictObject({
    id: z.string().min(1).describe("Name of the key in logs, metrics and the audit log."),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits")
      .describe("sha256 of the key, hex; the key itself is never stored."),
    scopes: z
      .array(z.enum(["infer", "embed", "admin"]))
      .min(1)
      .default(["infer", "embed"])
      .describe("What the key may do. Defaults to `[infer, embed]`."),
  })
  .describe("An API key.");

export const authSchema = section(
  {
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Require an API key (`Authorization: Bearer …`): start-up fails unless `auth.keys` or `SLUICE_API_KEYS` name at least one. Keys from either source turn auth on whatever this says. Defaults to `false`, for a laptop bound to 127.0.0.1.",
      ),
    keys: z
      .array(apiKeySchema)
      .default([])
      .describe("Accepted API keys, merged with those of `SLUICE_API_KEYS`. Defaults to `[]`."),
  },
  "API keys and scopes.",
);
export type AuthConfig = z.infer<typeof authSchema>;
