#!/usr/bin/env node
// Merged coverage report of the workspace, after `pnpm test`.
//
// Every package's run records its own sources and every workspace source it
// loads (vitest.coverage.ts) in coverage/coverage-final.json. This script
// merges those files and prints, per package: what its own tests cover, and
// what all the workspace's tests cover (the server's HTTP tests run the api
// package, the SDK's tests run core…), which is the figure judged against the
// project's targets. It fails when a package with tests produced no report,
// or when a package's merged coverage falls under its floor below.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import convert from "ast-v8-to-istanbul";
import libCoverage from "istanbul-lib-coverage";
import { parseAstAsync } from "vitest/node";

const root = join(import.meta.dirname, "..");
/** The project's targets: ≥ 90 % lines and ≥ 85 % branches for these packages. */
const TARGETED = new Set(["core", "cache", "cascade", "config", "telemetry", "api", "sdk"]);
const TARGET = { lines: 90, branches: 85 };
/**
 * Floors of the merged figures (CI fails under them), one point under the
 * first merged run so timing-dependent error paths do not flip the gate.
 * Raise them as tests are added; never lower one without saying why.
 */
const MERGED_FLOOR = {
  // First merged run (2026-12-04): api 88.34 / 76.42, cache 92.38 / 86.81, cascade 97.16 / 85.26,
  // config 96.69 / 88.12, core 81.55 / 72.23, sdk 94.69 / 83.21, telemetry 97.59 / 89.83,
  // server 76.71 / 66.13. Raised after CI on 2026-12-04 (runner processes counted, new tests):
  // api 96.35 / 87.76, core 91.83 / 81.08, sdk 96.64 / 85.29. Every package at the issue's
  // 90 % lines / 85 % branches at least since the run of 2026-12-04 22:30 (core 95.46 / 88.13).
  api: { lines: 95, branches: 86 },
  cache: { lines: 91, branches: 85 },
  cascade: { lines: 96, branches: 85 },
  config: { lines: 95, branches: 87 },
  core: { lines: 94, branches: 86 },
  sdk: { lines: 95, branches: 85 },
  telemetry: { lines: 96, branches: 88 },
  server: { lines: 75, branches: 65 },
};

const dirs = ["packages", "apps", "tooling"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(group, d.name)),
);
dirs.push("benchmarks", "deploy");

/** Coverage of the files under `dir/src` in `map`, as lines and branches. */
function summarize(map, dir) {
  const prefix = join(root, dir, "src") + sep;
  const summary = libCoverage.createCoverageSummary();
  let files = 0;
  for (const file of map.files()) {
    if (!file.startsWith(prefix)) continue;
    summary.merge(map.fileCoverageFor(file).toSummary());
    files++;
  }
  return { files, lines: summary.lines, branches: summary.branches };
}

/**
 * Adds the hits of `data` (converted runner coverage) to the files of `map`,
 * matching statements, branches and functions by where they start. The test
 * process's transform (vite) and the runner's (tsx) lay code out a little
 * differently, so their end positions differ and istanbul's own merge would
 * count most statements twice; their starts agree (99 % of statements and
 * branches, measured on core). What does not match is dropped, so totals only
 * ever come from the test run and a runner can only mark existing code covered.
 */
function overlay(map, data) {
  const at = (loc) => `${loc.start.line}:${loc.start.column}`;
  for (const [file, runner] of Object.entries(data)) {
    if (!map.data[file]) continue;
    const target = map.fileCoverageFor(file).data;
    const statements = new Map(Object.entries(target.statementMap).map(([k, loc]) => [at(loc), k]));
    for (const [k, loc] of Object.entries(runner.statementMap)) {
      const t = statements.get(at(loc));
      if (t !== undefined) target.s[t] += runner.s[k];
    }
    const branchKey = (b) => `${at(b.loc)} ${b.type} ${b.locations.length}`;
    const branches = new Map(Object.entries(target.branchMap).map(([k, b]) => [branchKey(b), k]));
    for (const [k, b] of Object.entries(runner.branchMap)) {
      const t = branches.get(branchKey(b));
      if (t !== undefined) target.b[t] = target.b[t].map((hits, i) => hits + (runner.b[k][i] ?? 0));
    }
    const functions = new Map(Object.entries(target.fnMap).map(([k, f]) => [at(f.decl), k]));
    for (const [k, f] of Object.entries(runner.fnMap)) {
      const t = functions.get(at(f.decl));
      if (t !== undefined) target.f[t] += runner.f[k];
    }
  }
}

/**
 * Coverage of the runner processes a package's tests started from source
 * (vitest.coverage.ts `runnerCoverageEnv`), added to `map`: V8's raw coverage
 * of each runner and the code tsx produced for each source, converted with
 * the converter vitest itself uses. Returns how many runners reported.
 */
async function addRunnerCoverage(map, dir) {
  const base = join(root, dir, "coverage", "runners");
  if (!existsSync(join(base, "sources"))) return 0;
  const sources = new Map();
  for (const f of readdirSync(join(base, "sources"))) {
    const { url, source } = JSON.parse(readFileSync(join(base, "sources", f), "utf8"));
    sources.set(url, source);
  }
  const parsed = new Map();
  let processes = 0;
  for (const f of readdirSync(base)) {
    if (!f.endsWith(".json")) continue;
    const { result } = JSON.parse(readFileSync(join(base, f), "utf8"));
    const scripts = result.filter((r) => sources.has(r.url));
    if (scripts.length > 0) processes++;
    for (const script of scripts) {
      const code = sources.get(script.url);
      if (!parsed.has(script.url)) {
        const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(
          code,
        );
        parsed.set(script.url, {
          ast: await parseAstAsync(code),
          sourceMap: inline ? JSON.parse(Buffer.from(inline[1], "base64").toString("utf8")) : undefined,
        });
      }
      const { ast, sourceMap } = parsed.get(script.url);
      overlay(
        map,
        await convert({
          code,
          ast,
          sourceMap,
          coverage: { url: script.url, functions: script.functions },
          wrapperLength: 0,
        }),
      );
    }
  }
  return processes;
}

const merged = libCoverage.createCoverageMap({});
const runs = new Map();
const missing = [];
const runnerNotes = [];
for (const dir of dirs) {
  const config = join(root, dir, "vitest.config.ts");
  if (!existsSync(config) || !readFileSync(config, "utf8").includes("workspaceCoverage")) continue;
  const path = join(root, dir, "coverage", "coverage-final.json");
  if (!existsSync(path)) {
    missing.push(dir);
    continue;
  }
  const text = readFileSync(path, "utf8");
  const own = libCoverage.createCoverageMap(JSON.parse(text));
  const runners = await addRunnerCoverage(own, dir);
  if (runners > 0) runnerNotes.push(`${dir} (${runners})`);
  runs.set(dir, own);
  // A copy of its own: merge() keeps the first map's file objects and adds later runs into them.
  merged.merge(JSON.parse(JSON.stringify(own.toJSON())));
}

const pct = (c) => (c.total === 0 ? 100 : (100 * c.covered) / c.total);
const rows = [];
const below = [];
const total = { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } };
for (const dir of dirs) {
  if (!existsSync(join(root, dir, "src"))) continue;
  const all = summarize(merged, dir);
  if (all.files === 0) continue;
  const own = runs.has(dir) ? summarize(runs.get(dir), dir) : undefined;
  for (const k of ["lines", "branches"]) {
    total[k].covered += all[k].covered;
    total[k].total += all[k].total;
  }
  const name = dir.split("/").pop();
  const met = pct(all.lines) >= TARGET.lines && pct(all.branches) >= TARGET.branches;
  const floor = MERGED_FLOOR[name];
  if (floor && (pct(all.lines) < floor.lines || pct(all.branches) < floor.branches))
    below.push(
      `${dir}: ${pct(all.lines).toFixed(2)} % lines, ${pct(all.branches).toFixed(2)} % branches, floor ${floor.lines} / ${floor.branches}`,
    );
  rows.push([
    dir,
    own ? `${pct(own.lines).toFixed(2)} %` : "-",
    own ? `${pct(own.branches).toFixed(2)} %` : "-",
    `${pct(all.lines).toFixed(2)} %`,
    `${pct(all.branches).toFixed(2)} %`,
    `${all.lines.covered}/${all.lines.total}`,
    TARGETED.has(name) ? (met ? "met" : "BELOW target") : "-",
  ]);
}
rows.push([
  "workspace",
  "",
  "",
  `${pct(total.lines).toFixed(2)} %`,
  `${pct(total.branches).toFixed(2)} %`,
  `${total.lines.covered}/${total.lines.total}`,
  "",
]);
const head = [
  "package",
  "own lines",
  "own branches",
  "all lines",
  "all branches",
  "lines covered (all)",
  `target (${TARGET.lines} % / ${TARGET.branches} %, all)`,
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
const table = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
const runsLine =
  `merged from ${runs.size} runs: ${[...runs.keys()].map((d) => relative(root, join(root, d))).join(", ")}` +
  (runnerNotes.length > 0 ? `\nwith runner processes started from source: ${runnerNotes.join(", ")}` : "");
console.log(
  `coverage (v8): "own" counts a package's own tests, "all" every workspace test that ran its code\n${table}\n${runsLine}`,
);
mkdirSync(join(root, "coverage"), { recursive: true });
writeFileSync(
  join(root, "coverage", "summary.md"),
  `# Coverage\n\n\`\`\`\n${table}\n\`\`\`\n\n${runsLine}\n`,
);
writeFileSync(join(root, "coverage", "coverage-final.json"), JSON.stringify(merged.toJSON()));
if (missing.length > 0) {
  console.error(`coverage: no report from ${missing.join(", ")} (run pnpm test first)`);
  process.exit(1);
}
if (below.length > 0) {
  console.error(`coverage: merged coverage under its floor:\n  ${below.join("\n  ")}`);
  process.exit(1);
}
