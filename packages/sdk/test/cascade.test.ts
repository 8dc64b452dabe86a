import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluice, type Sluice } from "../src/index.ts";

let sluice: Sluice;

beforeAll(async () => {
  const [a, b] = await Promise.all([
    ensureSynthModel({ preset: "lfm2-tiny", seed: 1 }),
    ensureSynthModel({ preset: "lfm2-tiny", seed: 2 }),
  ]);
  sluice = await createSluice({
    models: [
      { id: "small", source: a, contextSize: 256, sequences: 1, threads: 1 },
      { id: "large", source: b, contextSize: 256, sequences: 1, threads: 1 },
    ],
    // Random weights never reach a 0.99 confidence, so the small tier must escalate.
    cascade: {
      tiers: [
        { id: "small", threshold: 0.99 },
        { id: "large", threshold: 0 },
      ],
    },
  });
});
afterAll(() => sluice?.close());

describe("cascade through the SDK", () => {
  it("escalates a low-confidence answer of model auto to the next tier and records the trace", async () => {
    const result = await sluice.complete({
      model: "auto",
      prompt: "Once upon a time",
      maxTokens: 6,
      temperature: 0,
    });
    expect(result.model).toBe("large");
    expect(result.cascade?.tier).toBe("large");
    const traces = sluice.cascade?.traces(10) as Array<{
      attempts: Array<{ tier: string; outcome: string }>;
      escalations: number;
    }>;
    expect(traces).toHaveLength(1);
    expect(traces[0]?.attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ["small", "low-confidence"],
      ["large", "accepted"],
    ]);
    expect(traces[0]?.escalations).toBe(1);
    expect(sluice.cascade?.abSummary()).toBeNull();
  });

  it("serves a named model directly, outside the cascade", async () => {
    const result = await sluice.complete({ model: "small", prompt: "Hello", maxTokens: 2, temperature: 0 });
    expect(result.model).toBe("small");
    expect(result.cascade).toBeUndefined();
  });
});
