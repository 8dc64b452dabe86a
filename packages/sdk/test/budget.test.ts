import { ensureSynthModel } from "@sluice/gguf-synth";
import { describe, expect, it } from "vitest";
import { createSluice } from "../src/index.ts";

describe("memory budget", () => {
  it("refuses a load that does not fit with OUT_OF_MEMORY_BUDGET and leaves the model unloaded", async () => {
    const path = await ensureSynthModel({ preset: "lfm2-tiny" });
    const sluice = await createSluice({
      models: [{ id: "tiny", source: path, contextSize: 256, sequences: 1, threads: 1 }],
      memoryBudgetBytes: 1024,
    });
    try {
      await expect(sluice.complete({ prompt: "hello", maxTokens: 2 })).rejects.toMatchObject({
        code: "OUT_OF_MEMORY_BUDGET",
      });
      expect(sluice.models.status("tiny").state).not.toBe("ready");
    } finally {
      await sluice.close();
    }
  });
});
