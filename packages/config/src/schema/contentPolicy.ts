import { z } from "zod";
import { section } from "./fields.ts";

const regexSource = z
  .string()
  .min(1)
  .max(1000)
  .refine((source) => {
    try {
      new RegExp(source, "iu");
      return true;
    } catch {
      return false;
    }
  }, "a valid regular expression")
  .describe("A regular expression, matched case-insensitively.");

export const contentPolicySchema = section(
  {
    denyTerms: z
      .array(z.string().min(1).max(200))
      .default([])
      .describe(
        "Words or phrases that block a request's input or end its output with CONTENT_BLOCKED (case-insensitive, whole words). Defaults to `[]`.",
      ),
    denyPatterns: z
      .array(regexSource)
      .default([])
      .describe("Regular expressions that block input or output like `denyTerms`. Defaults to `[]`."),
    redactPii: z
      .boolean()
      .default(false)
      .describe(
        "Mask e-mail addresses, phone numbers and Luhn-valid card numbers as `[email]`, `[phone]`, `[card]` in input and output. Defaults to `false`.",
      ),
  },
  "Built-in content policies (a hook for a real moderation model, not a replacement); blocks are counted in `sluice_content_policy_total` and audited.",
);
export type ContentPolicyConfig = z.infer<typeof contentPolicySchema>;
