import { describe, expect, it } from "vitest";
import { normalCdf, RunningStats, studentTwoSidedP, twoProportionZTest, welchTTest } from "../src/index.ts";

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
});
