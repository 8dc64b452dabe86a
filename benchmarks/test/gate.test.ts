import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judge, loadBudgets } from "../src/gate/budgets.ts";
import type { Measurement } from "../src/gate/types.ts";

const root = join(import.meta.dirname, "..");
const budgets = loadBudgets(join(root, "budgets.json"));
const m = (id: string, value: number): Measurement => ({ id, suite: "t", what: id, value, unit: "" });

describe("budget verdicts", () => {
  const on350m = (id: string, value: number): Measurement => ({ ...m(id, value), model: "lfm2-350m-q8_0" });

  it("gates ratios and absolute budgets on every tier, with no margin", () => {
    for (const tier of ["fast", "full"] as const) {
      const ms = [m("overhead.inprocess.ratio", 1.2), on350m("generation.typical.total", 2000)];
      const vs = judge(budgets, ms, tier);
      expect(vs.find((v) => v.budget.id === "overhead.inprocess.ratio")).toMatchObject({ pass: false });
      expect(vs.find((v) => v.budget.id === "generation.typical.total")).toMatchObject({
        pass: true,
        planMet: true,
      });
      const over = judge(budgets, [on350m("generation.typical.total", 2001)], tier);
      expect(over.find((v) => v.budget.id === "generation.typical.total")).toMatchObject({
        pass: false,
        planMet: false,
      });
    }
  });

  it("judges absolute budgets only on the 350M shape, never on another model's figure", () => {
    const v = judge(budgets, [m("generation.typical.total", 10)], "fast").find(
      (x) => x.budget.id === "generation.typical.total",
    );
    expect(v).toMatchObject({ measurement: undefined, pass: false, planMet: false });
  });

  it("holds a target raw node-llama-cpp also misses to a ratio of raw, and reports it NOT met", () => {
    const verdict = (sluice: number, raw: number) =>
      judge(
        budgets,
        [on350m("embedding.p95.64tok.1client", sluice), on350m("embedding.p95.64tok.1client.raw", raw)],
        "fast",
      ).find((v) => v.budget.id === "embedding.p95.64tok.1client");
    // Raw meets the target: Sluice must too, no ratio allowed.
    expect(verdict(520, 400)).toMatchObject({ outOfReach: false, pass: false, planMet: false });
    expect(verdict(480, 400)).toMatchObject({ outOfReach: false, pass: true, planMet: true });
    // Raw misses it: out of reach here; Sluice gated at 1.25x raw, the target still NOT met.
    expect(verdict(700, 600)).toMatchObject({
      outOfReach: true,
      pass: true,
      planMet: false,
      effectiveLimit: 750,
    });
    expect(verdict(800, 600)).toMatchObject({ outOfReach: true, pass: false, planMet: false });
  });

  it("fails a gated budget that was not measured", () => {
    const v = judge(budgets, [], "fast").find((x) => x.budget.id === "generation.scaling.8x");
    expect(v).toMatchObject({ gated: true, pass: false });
  });

  it("never lets the scaling floor fall below 1.0x on any tier", () => {
    const scaling = budgets.budgets.find((b) => b.id === "generation.scaling.8x");
    for (const tier of ["fast", "full"] as const)
      expect(scaling?.gate?.[tier] ?? scaling?.limit).toBeGreaterThanOrEqual(1);
  });
});

describe("bench:gate", () => {
  it("exits non-zero when a delay is injected into the SDK request path", () => {
    const out = mkdtempSync(join(tmpdir(), "sluice-gate-"));
    try {
      const r = spawnSync(
        process.execPath,
        [
          "--conditions=@sluice/source",
          "--import",
          "tsx",
          join(root, "src", "gate.ts"),
          "--tier",
          "fast",
          "--suites",
          "overhead",
          "--out",
          out,
          "--rounds",
          "2",
        ],
        { encoding: "utf8", env: { ...process.env, SLUICE_BENCH_INJECT_DELAY_MS: "3000" }, timeout: 240_000 },
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+overhead\.inprocess\.ratio/);
      expect(r.stdout).toMatch(/FAIL\s+overhead\.runner\.ratio/);
      const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
      const ratio = results.measurements.find((x: Measurement) => x.id === "overhead.inprocess.ratio").value;
      expect(ratio).toBeGreaterThan(1.05);
      expect(readFileSync(join(out, "report.md"), "utf8")).toContain("FAIL");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
