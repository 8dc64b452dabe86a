import { describe, expect, it } from "vitest";
import { normalCdf, RunningStats, studentTwoSidedP, twoProportionZTest, welchTTest } from "../src/index.ts";
import { regularizedBeta } from "../src/statistics.ts";

function statsOf(values: number[]): RunningStats {
  const s = new RunningStats();
  for (const v of values) s.add(v);
  return s;
}

describe("statistics", () => {
  it("matches textbook normal and Student t values", () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
    // t = 2.228 is the 97.5th percentile of t with 10 degrees of freedom.
    expect(studentTwoSidedP(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 9);
  });

  it("computes mean and sample variance in one pass", () => {
    const s = statsOf([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.variance).toBeCloseTo(32 / 7, 12);
  });

  it("runs the two-proportion z-test with a pooled variance", () => {
    // 45/100 vs 30/100: pooled p = 0.375, se = 0.06847, z = 2.19.
    const r = twoProportionZTest(45, 100, 30, 100);
    expect(r.statistic).toBeCloseTo(2.1909, 3);
    expect(r.p).toBeCloseTo(0.02846, 3);
    expect(twoProportionZTest(0, 0, 1, 2).p).toBeNaN();
  });

  it("runs Welch's t-test with Welch–Satterthwaite degrees of freedom", () => {
    const r = welchTTest(
      statsOf([27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]),
      statsOf([27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]),
    );
    // Reference: scipy.stats.ttest_ind(a, b, equal_var=False) → t = -2.45536, df = 24.9885, p = 0.021378.
    expect(r.statistic).toBeCloseTo(-2.45536, 4);
    expect(r.df).toBeCloseTo(24.9885, 3);
    expect(r.p).toBeCloseTo(0.021378, 5);
  });

  it("answers the degenerate cases with NaN or exact values instead of dividing by zero", () => {
    const empty = new RunningStats();
    expect(empty.mean).toBeNaN();
    expect(statsOf([3]).variance).toBeNaN();
    // A group of one: no variance, no test.
    const one = welchTTest(statsOf([1]), statsOf([1, 2, 3]));
    expect([one.statistic, one.p, one.df].every(Number.isNaN)).toBe(true);
    // No spread at all: equal means are certainly equal, different means certainly differ.
    expect(welchTTest(statsOf([2, 2, 2]), statsOf([2, 2]))).toEqual({ statistic: 0, p: 1, df: 3 });
    expect(welchTTest(statsOf([2, 2, 2]), statsOf([5, 5])).p).toBe(0);
    // Every trial succeeded in both arms: the pooled variance is 0.
    expect(twoProportionZTest(10, 10, 20, 20)).toEqual({ statistic: 0, p: 1 });
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ statistic: 0, p: 1 });
  });

  it("computes the regularized incomplete beta at its bounds and by symmetry", () => {
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(-1, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
    // I_x(1, 1) = x; I_x(a, b) = 1 − I_{1−x}(b, a) on the side the continued fraction avoids.
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 10);
    expect(regularizedBeta(0.9, 1, 1)).toBeCloseTo(0.9, 10);
    expect(regularizedBeta(0.8, 2, 3)).toBeCloseTo(1 - regularizedBeta(0.2, 3, 2), 12);
    // Small degrees of freedom take the reflection branch of the log-gamma.
    expect(studentTwoSidedP(1, 0.4)).toBeGreaterThan(0);
    expect(studentTwoSidedP(1, 0.4)).toBeLessThan(1);
  });
});
