import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluice, type Sluice } from "../src/index.ts";

// Through the SDK in-process (its default runtime), with the result cache off so
// every request reaches the model.
async function open(path: string, sequenceReuse: boolean): Promise<Sluice> {
  return createSluice({
    cache: false,
    models: [
      {
        id: "tiny",
        source: path,
        contextSize: 256,
        sequences: 2,
        threads: 1,
        sequenceReuse,
        preload: true,
        synthetic: true,
      },
    ],
  });
}

let reuse: Sluice;
let fresh: Sluice;
beforeAll(async () => {
  const path = await ensureSynthModel({ preset: "lfm2-tiny" });
  [reuse, fresh] = await Promise.all([open(path, true), open(path, false)]);
});
afterAll(async () => {
  await reuse?.close();
  await fresh?.close();
});

describe("sequence reuse through the SDK", () => {
  it("evaluates only the new suffix of an extended prompt, with the same greedy text, and counts it", async () => {
    const first = await reuse.complete({ prompt: "The quick brown fox", maxTokens: 1, temperature: 0 });
    const next = { prompt: "The quick brown fox jumps over the", maxTokens: 10, temperature: 0 };
    const reused = await reuse.complete(next);
    const baseline = await fresh.complete(next);
    expect(reused.text).toBe(baseline.text);
    expect(reused.stats.reusedPromptTokens).toBe(first.stats.promptTokens);
    expect(baseline.stats.reusedPromptTokens).toBeUndefined();
    const metrics = (await reuse.metrics()).body;
    expect(metrics).toContain('sluice_sequence_reuse_total{model="tiny",result="hit"} 1');
    expect(metrics).toContain(`sluice_prompt_tokens_reused_total{model="tiny"} ${first.stats.promptTokens}`);
    expect((await fresh.metrics()).body).not.toContain('result="hit"');
  });

  it("does not reuse for a prompt that only shares a start with a kept sequence", async () => {
    await reuse.complete({ prompt: "A red kite over the hill", maxTokens: 2, temperature: 0 });
    const other = await reuse.complete({
      prompt: "A red kite under the bridge",
      maxTokens: 4,
      temperature: 0,
    });
    expect(other.stats.reusedPromptTokens).toBeUndefined();
  });
});
