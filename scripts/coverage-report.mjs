#!/usr/bin/env node
// Merged coverage report of the workspace, after `pnpm test`: one row
// per package from its coverage/coverage-summary.json, and the whole
// workspace's totals. Each package's vitest config holds its thresholds (vitest
// fails the run below them); this report shows them side by side with the
// project's targets, and fails when a package with tests produced no report.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
/** The project's targets: ≥ 90 % lines and ≥ 85 % branches for these packages. */
const TARGETED = new Set(["core", "cache", "cascade", "config", "telemetry", "api", "sdk"]);
const TARGET = { lines: 90, branches: 85 };

const dirs = ["packages", "apps", "tooling"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(group, d.name)),
);
dirs.push("benchmarks");

const rows = [];
const missing = [];
const total = { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } };
for (const dir of dirs) {
  const config = join(root, dir, "vitest.config.ts");
  if (!existsSync(config) || !readFileSync(config, "utf8").includes("thresholds")) continue;
  const summaryPath = join(root, dir, "coverage", "coverage-summary.json");
  if (!existsSync(summaryPath)) {
    missing.push(dir);
    continue;
  }
  const t = JSON.parse(readFileSync(summaryPath, "utf8")).total;
  for (const k of ["lines", "branches"]) {
    total[k].covered += t[k].covered;
    total[k].total += t[k].total;
  }
  const name = dir.split("/").pop();
  const targeted = TARGETED.has(name);
  const met = t.lines.pct >= TARGET.lines && t.branches.pct >= TARGET.branches;
  rows.push([
    dir,
    `${t.lines.pct.toFixed(2)} %`,
    `${t.branches.pct.toFixed(2)} %`,
    `${t.lines.covered}/${t.lines.total}`,
    targeted ? (met ? "met" : "BELOW target") : "-",
  ]);
}
const pct = (k) => (total[k].total === 0 ? 100 : (100 * total[k].covered) / total[k].total);
rows.push([
  "workspace",
  `${pct("lines").toFixed(2)} %`,
  `${pct("branches").toFixed(2)} %`,
  `${total.lines.covered}/${total.lines.total}`,
  "",
]);
const head = [
  "package",
  "lines",
  "branches",
  "lines covered",
  `target (${TARGET.lines} % / ${TARGET.branches} %)`,
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
const table = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
console.log(`coverage (v8, each package's own tests):\n${table}`);
mkdirSync(join(root, "coverage"), { recursive: true });
writeFileSync(join(root, "coverage", "summary.md"), `# Coverage\n\n\`\`\`\n${table}\n\`\`\`\n`);
if (missing.length > 0) {
  console.error(`coverage: no report from ${missing.join(", ")} (run pnpm test first)`);
  process.exit(1);
}
