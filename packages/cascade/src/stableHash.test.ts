import { describe, expect, it } from "vitest";
import { stableUnitHash } from "./stableHash.ts";

describe("stableUnitHash", () => {
  it("is stable per key and spreads keys evenly", () => {
    expect(stableUnitHash("alice")).toBe(stableUnitHash("alice"));
    expect(stableUnitHash("alice", "exp1")).not.toBe(stableUnitHash("alice", "exp2"));
    const below = Array.from({ length: 10_000 }, (_, i) => stableUnitHash(`k${i}`)).filter(
      (x) => x < 0.3,
    ).length;
    expect(below / 10_000).toBeGreaterThan(0.28);
    expect(below / 10_000).toBeLessThan(0.32);
  });
});
