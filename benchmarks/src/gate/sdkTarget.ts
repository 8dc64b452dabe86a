import type { EngineLoadOptions } from "@sluice/core";
import { engineTarget, type Target } from "./targets.ts";

/**
 * Sluice's request path for a model. The delay stands in for a regression in
 * that path; the gate's self-test sets it to prove the gate can fail.
 */
export async function sdkTarget(
  kind: "in-process" | "runner",
  load: EngineLoadOptions,
  injectDelayMs: number,
): Promise<Target> {
  const target = await engineTarget(kind, load);
  return {
    ...target,
    label: `Sluice (${kind})`,
    async generate(prompt, maxTokens) {
      if (injectDelayMs > 0) await new Promise((r) => setTimeout(r, injectDelayMs));
      return target.generate(prompt, maxTokens);
    },
  };
}
