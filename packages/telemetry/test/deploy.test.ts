import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetrics } from "../src/metrics/SluiceMetrics.ts";
import { createRegistry } from "../src/registry.ts";

const deploy = (path: string) => fileURLToPath(new URL(`../../../deploy/${path}`, import.meta.url));
const rulesFile = deploy("prometheus/alerts.yml");
const rulesTestFile = deploy("prometheus/alerts.test.yml");
const dashboardFile = deploy("grafana/sluice-dashboard.json");

interface Rule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (
  parse(readFileSync(rulesFile, "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
  uid: string;
  panels: Panel[];
  templating: { list: { definition?: string }[] };
};

// Series names a PromQL expression reads (Sluice and the default process metrics).
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:sluice|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
}

function registeredSeriesNames(): Set<string> {
  const registry = createRegistry();
  createMetrics(registry);
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    // Histograms expose _bucket/_count/_sum series, summaries _count/_sum.
    if (String(metric.type) === "histogram")
      for (const s of ["_bucket", "_count", "_sum"]) names.add(metric.name + s);
    if (String(metric.type) === "summary") for (const s of ["_count", "_sum"]) names.add(metric.name + s);
  }
  return names;
}

function promtool(...args: string[]): string {
  // In CI a missing promtool must fail this test, not skip it.
  return execFileSync("promtool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("deploy/prometheus/alerts.yml", () => {
  it("passes promtool check rules", () => {
    expect(promtool("check", "rules", rulesFile)).toContain("SUCCESS");
  });

  it("fires as its promtool unit tests expect", () => {
    expect(promtool("test", "rules", rulesTestFile)).toContain("SUCCESS");
  });

  it("covers error rate, p95, queue saturation, breaker, restarts and memory budget, each with a runbook", () => {
    const names = rules.map((r) => r.alert);
    for (const alert of [
      "SluiceHighErrorRate",
      "SluiceLatencyP95OverTarget",
      "SluiceQueueSaturated",
      "SluiceBreakerOpen",
      "SluiceRunnerRestarting",
      "SluiceMemoryBudgetNearFull",
    ]) {
      expect(names).toContain(alert);
    }
    for (const rule of rules)
      expect(rule.annotations?.runbook_url).toMatch(/^docs\/runbooks\.md#[a-z0-9-]+$/);
  });
});

describe("metric names in deploy/", () => {
  const known = registeredSeriesNames();

  it("names only metrics the registry exposes in the alert rules", () => {
    const used = rules.flatMap((r) => metricNames(r.expr));
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
  });

  it("names only metrics the registry exposes in the dashboard", () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const used = [...exprs, ...dashboard.templating.list.map((v) => v.definition ?? "")].flatMap(metricNames);
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
  });

  it("gives every dashboard panel a unique id and every graph a query", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});
