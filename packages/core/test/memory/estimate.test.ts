import { ensureSynthModel } from "@sluice/gguf-synth";
import { describe, expect, it } from "vitest";
import type { EngineLoadOptions } from "../../src/runtime/engine/Engine.ts";
import { estimateLoadMemory } from "../../src/runtime/memory/index.ts";
import { RunnerEngineFactory } from "../../src/runtime/runner/index.ts";

const MiB = 2 ** 20;

/**
 * Loads the model in a runner (the lfm2-350m serving shape: 2048 tokens × 4
 * sequences) and touches every buffer the estimate counts: a prompt that fills
 * one whole batch (the compute buffers), then a decode on every sequence.
 * Then compares the runner's RSS (/proc VmRSS) with the estimate. Embedding
 * contexts are left out here: their compute buffer (batch = context size)
 * becomes resident only in proportion to the longest text embedded.
 */
async function measure(modelPath: string): Promise<{ estimate: number; rss: number; runtime: number }> {
  const load: EngineLoadOptions = {
    modelPath,
    contextSize: 2048,
    sequences: 4,
    batchSize: 256,
    threads: 2,
    embeddingContexts: 0,
  };
  const estimate = await estimateLoadMemory(load);
  const engine = await new RunnerEngineFactory().load(load);
  try {
    let text = "Once upon a time there was a little girl who liked to play in the park with her dog. ";
    while ((await engine.tokenize(text)).length < 256) text += text;
    const tokens = (await engine.tokenize(text)).length;
    text = text.slice(0, Math.floor((text.length * 250) / tokens));
    await Promise.all(
      [text, "One", "Two", "Three"].map(async (prompt) => {
        for await (const _ of engine.generate({ prompt, maxTokens: 4, temperature: 0 })) {
          // drain
        }
      }),
    );
    const memory = await engine.memory();
    const fig = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
    console.info(
      `${modelPath.split("/").pop()}: estimate ${fig(estimate.totalBytes)} (weights ${fig(estimate.weightsBytes)}, ` +
        `context ${fig(estimate.contextBytes)}, embedding ${fig(estimate.embeddingBytes)}, runtime ${fig(estimate.runtimeBytes)}); ` +
        `measured RSS ${fig(memory.rssBytes)} (runner before model ${fig(memory.runtimeRssBytes)}); ` +
        `estimate/RSS ${(estimate.totalBytes / memory.rssBytes).toFixed(3)}`,
    );
    return { estimate: estimate.totalBytes, rss: memory.rssBytes, runtime: memory.runtimeRssBytes };
  } finally {
    await engine.dispose();
  }
}

describe("memory estimates", () => {
  it("estimates an lfm2-tiny load within 25 % of the runner's measured RSS", async () => {
    const { estimate, rss } = await measure(await ensureSynthModel({ preset: "lfm2-tiny" }));
    expect(Math.abs(estimate - rss) / rss).toBeLessThan(0.25);
  });

  it("estimates an lfm2-350m-shaped load within 25 % of the runner's measured RSS", async () => {
    const { estimate, rss } = await measure(await ensureSynthModel({ preset: "lfm2-350m" }));
    expect(Math.abs(estimate - rss) / rss).toBeLessThan(0.25);
  });
});
