import { describe, expect, it } from "vitest";
import { compressionRatio, scoreAnswer, trailingLoopFraction } from "../src/index.ts";

const config = { repetitionPenalty: true, repetitionLimit: 2.4 };
const stats = { meanLogprob: Math.log(0.99), minProb: 0.95, score: 0.99 };

describe("scoreAnswer", () => {
  it("keeps the probability score of ordinary prose", () => {
    const c = scoreAnswer(", there was a little girl named Lily. She loved to play outside.", stats, config);
    expect(c.repetitionFactor).toBe(1);
    expect(c.score).toBe(0.99);
  });

  it("scores down an answer that loops on one token however certain the model was", () => {
    const text = " time".repeat(24);
    expect(compressionRatio(text)).toBeGreaterThan(4);
    const c = scoreAnswer(text, stats, config);
    expect(c.score).toBeLessThan(0.3);
    expect(scoreAnswer(text, stats, { ...config, repetitionPenalty: false }).score).toBe(0.99);
  });

  it("catches a short loop that is too short to compress well", () => {
    const text = "k".repeat(16);
    expect(compressionRatio(text)).toBeLessThan(4);
    expect(trailingLoopFraction(text)).toBe(1);
    expect(scoreAnswer(text, stats, config).score).toBe(0);
  });

  it("measures only the looping tail of an answer", () => {
    const text = `She went home. ${"ha ".repeat(5)}`;
    // " ha" repeats from the space after "home.": 16 of the 30 characters.
    expect(trailingLoopFraction(text)).toBeCloseTo(16 / 30, 6);
    expect(trailingLoopFraction("He was happy. Mom was happy too.")).toBe(0);
  });

  it("treats an answer without engine statistics as unconfident", () => {
    expect(scoreAnswer("hello", undefined, config).score).toBe(0);
  });
});
