import { describe, expect, it } from "vitest";
import { compressionRatio, scoreAnswer } from "../src/index.ts";

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

  it("treats an answer without engine statistics as unconfident", () => {
    expect(scoreAnswer("hello", undefined, config).score).toBe(0);
  });
});
