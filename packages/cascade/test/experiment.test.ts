import { describe, expect, it } from "vitest";
import { Cascade, Experiment } from "../src/index.ts";
import { ScriptedTier } from "./ScriptedTier.ts";

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function shares(experiment: Experiment): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) {
    const arm = experiment.assign(key).id;
    counts[arm] = (counts[arm] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / keys.length]));
}

describe("Experiment assignment", () => {
  it("splits 10,000 keys within 2 % of the weights and keeps each key on its arm", () => {
    const experiment = new Experiment({
      id: "lfm2-ab",
      arms: [
        { id: "control", weight: 5 },
        { id: "b", weight: 3 },
        { id: "c", weight: 2 },
      ],
    });
    const split = shares(experiment);
    console.log(`[experiment] 10,000 keys, weights 50/30/20 → ${JSON.stringify(split)}`);
    expect(Math.abs((split.control ?? 0) - 0.5)).toBeLessThan(0.02);
    expect(Math.abs((split.b ?? 0) - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((split.c ?? 0) - 0.2)).toBeLessThan(0.02);
    const again = new Experiment({ id: experiment.id, arms: [...experiment.arms] });
    for (const key of keys.slice(0, 1000)) expect(again.assign(key).id).toBe(experiment.assign(key).id);
  });

  it("takes weights from the flag source and keeps the configured ones when it fails", () => {
    let flag: Record<string, number> | (() => never) = { control: 0, b: 1 };
    const experiment = new Experiment(
      {
        id: "x",
        arms: [
          { id: "control", weight: 1 },
          { id: "b", weight: 1 },
        ],
      },
      { getWeights: () => (typeof flag === "function" ? flag() : flag) },
    );
    expect(shares(experiment)).toEqual({ b: 1 });
    flag = () => {
      throw new Error("flag provider down");
    };
    expect(Math.abs((shares(experiment).control ?? 0) - 0.5)).toBeLessThan(0.02);
    flag = { control: -1, b: 1 };
    expect(Math.abs((shares(experiment).control ?? 0) - 0.5)).toBeLessThan(0.02);
  });

  it("moves only the keys whose slice changed hands when a weight changes", () => {
    let weights = { control: 50, b: 50 };
    const experiment = new Experiment(
      {
        id: "x",
        arms: [
          { id: "control", weight: 50 },
          { id: "b", weight: 50 },
        ],
      },
      { getWeights: () => weights },
    );
    const before = keys.map((k) => experiment.assign(k).id);
    weights = { control: 60, b: 40 };
    const after = keys.map((k) => experiment.assign(k).id);
    const moved = before.filter((arm, i) => arm !== after[i]);
    expect(moved.every((arm) => arm === "b")).toBe(true);
    expect(moved.length / keys.length).toBeGreaterThan(0.08);
    expect(moved.length / keys.length).toBeLessThan(0.12);
  });

  it("refuses weights that are all zero", () => {
    expect(() => new Experiment({ id: "x", arms: [{ id: "a", weight: 0 }] })).toThrow(RangeError);
  });
});

describe("Experiment statistics", () => {
  it("flags a clear escalation difference as significant and equal arms as not", () => {
    const experiment = new Experiment({
      id: "x",
      arms: [
        { id: "control", weight: 1 },
        { id: "b", weight: 1 },
      ],
    });
    for (let i = 0; i < 400; i++) {
      experiment.record("control", {
        latencyMs: 100 + (i % 10),
        error: false,
        escalations: i % 10 < 3 ? 1 : 0,
      });
      experiment.record("b", { latencyMs: 100 + (i % 10), error: false, escalations: i % 10 < 1 ? 1 : 0 });
    }
    const summary = experiment.summary();
    const [control, b] = summary.arms;
    expect(control?.significant).toBe(false);
    expect(b?.escalationRate).toBeCloseTo(0.1);
    expect(b?.escalationTest.p).toBeLessThan(0.001);
    expect(b?.latencyTest.p).toBeCloseTo(1);
    expect(b?.significant).toBe(true);
  });

  it("records per-arm latency, confidence, errors and escalations through the cascade", async () => {
    const small = new ScriptedTier("small", { score: 0.2 });
    const large = new ScriptedTier("large", { score: 0.9 });
    const cascade = new Cascade({
      config: {
        tiers: [
          { id: "small", threshold: 0.5 },
          { id: "large", threshold: 0.5 },
        ],
        experiment: {
          id: "route",
          arms: [
            { id: "cascade", weight: 1 },
            { id: "large-only", weight: 1, tiers: ["large"] },
          ],
        },
      },
      backends: [small, large],
    });
    const armOf = (key: string) => cascade.experiment?.assign(key).id;
    const cascadeKey = keys.find((k) => armOf(k) === "cascade") as string;
    const largeKey = keys.find((k) => armOf(k) === "large-only") as string;
    const viaCascade = await cascade.generate({ prompt: "hi" }, { key: cascadeKey });
    const viaLarge = await cascade.generate({ prompt: "hi" }, { key: largeKey });
    expect(viaCascade).toMatchObject({ arm: "cascade", tier: "large", trace: { escalations: 1 } });
    expect(viaLarge).toMatchObject({ arm: "large-only", tier: "large", trace: { escalations: 0 } });
    expect(viaLarge.trace.considered[0]).toMatchObject({ decision: "skipped", reason: "not-in-arm" });
    const stats = cascade.experiment?.stats();
    expect(stats?.map((s) => [s.arm, s.requests, s.escalated, s.errors, s.confidenceMean])).toEqual([
      ["cascade", 1, 1, 0, 0.9],
      ["large-only", 1, 0, 0, 0.9],
    ]);
  });
});
