import { describe, expect, it } from "vitest";
import { isCacheableGeneration } from "./isCacheableGeneration.ts";

describe("isCacheableGeneration", () => {
  it("accepts greedy decoding and fixed seeds", () => {
    expect(isCacheableGeneration({ temperature: 0 })).toBe(true);
    expect(isCacheableGeneration({ temperature: 0.8, seed: 42 })).toBe(true);
    expect(isCacheableGeneration({ seed: 0 })).toBe(true);
  });

  it("refuses sampling without a seed, an unspecified temperature, and the seeds llama.cpp treats as random", () => {
    expect(isCacheableGeneration({ temperature: 0.7 })).toBe(false);
    expect(isCacheableGeneration({})).toBe(false);
    expect(isCacheableGeneration({ temperature: 0.7, seed: -1 })).toBe(false);
    expect(isCacheableGeneration({ temperature: 0.7, seed: 0xffffffff })).toBe(false);
    expect(isCacheableGeneration({ temperature: 0.7, seed: 1.5 })).toBe(false);
  });
});
