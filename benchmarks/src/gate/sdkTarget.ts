import type { EngineLoadOptions } from "@sluice/core";
import { createSluice } from "@sluice/sdk";
import type { Target } from "./targets.ts";

/**
 * The full SDK request path (validation, scheduler, model slot, engine) for
 * one model, with caches off so every request does the same work as raw
 * node-llama-cpp. `injectDelayMs` stands in for a regression in that path; the
 * gate's self-test sets it to prove the gate can fail.
 */
export async function sdkTarget(
  kind: "in-process" | "runner",
  load: EngineLoadOptions,
  injectDelayMs: number,
  limits?: { requestTimeoutMs?: number },
): Promise<Target> {
  const sluice = await createSluice({
    runtime: kind,
    cache: false,
    ...(limits ? { limits } : {}),
    models: [
      {
        id: "bench",
        source: load.modelPath,
        contextSize: load.contextSize ?? 512,
        sequences: load.sequences ?? 1,
        threads: load.threads ?? "auto",
        preload: true,
      },
    ],
  });
  const delay = () => (injectDelayMs > 0 ? new Promise((r) => setTimeout(r, injectDelayMs)) : undefined);
  return {
    label: `Sluice SDK (${kind})`,
    async generate(prompt, maxTokens) {
      await delay();
      const r = await sluice.complete({ model: "bench", prompt, maxTokens, temperature: 0 });
      return { text: r.text, tokens: r.stats.generatedTokens, ttftMs: r.stats.timeToFirstTokenMs };
    },
    async chat(content, maxTokens) {
      await delay();
      const r = await sluice.chat({
        model: "bench",
        messages: [{ role: "user", content }],
        maxTokens,
        temperature: 0,
      });
      return { text: r.text, tokens: r.stats.generatedTokens, ttftMs: r.stats.timeToFirstTokenMs };
    },
    async embed(texts) {
      await delay();
      return (await sluice.embed({ model: "bench", texts })).vectors;
    },
    close: () => sluice.close(),
  };
}
