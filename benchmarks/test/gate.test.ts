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
  it("gates ratios on every tier and absolute budgets only on the full tier, with the margin", () => {
    const ms = [m("overhead.inprocess.ratio", 1.2), m("generation.typical.total", 2400)];
    const fast = judge(budgets, ms, "fast");
    expect(fast.find((v) => v.budget.id === "overhead.inprocess.ratio")).toMatchObject({
      gated: true,
      pass: false,
    });
    expect(fast.find((v) => v.budget.id === "generation.typical.total")).toMatchObject({
      gated: false,
      pass: true,
    });
    const full = judge(budgets, ms, "full");
    // 2400 ms is within 2000 ms + 25 % margin; 2600 is not.
    expect(full.find((v) => v.budget.id === "generation.typical.total")).toMatchObject({
      gated: true,
      pass: true,
    });
    const over = judge(budgets, [m("generation.typical.total", 2600)], "full");
    expect(over.find((v) => v.budget.id === "generation.typical.total")?.pass).toBe(false);
  });

  it("fails a gated budget that was not measured", () => {
    const v = judge(budgets, [], "fast").find((x) => x.budget.id === "generation.scaling.8x");
    expect(v).toMatchObject({ gated: true, pass: false });
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
