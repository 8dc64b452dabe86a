/**
 * The CI performance gate: `pnpm bench:gate [--tier fast|full]`.
 * Runs every suite (each checks its results are right before timing them),
 * prints a table, writes JSON + Markdown + SVG charts under
 * benchmarks/results/<tier>/, and exits 1 on a breached budget.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureSynthModel, findModelFixture } from "@sluice/gguf-synth";
import { judge, loadBudgets } from "./gate/budgets.ts";
import { measurementTable, verdictTable, writeReport } from "./gate/report.ts";
import { SUITES } from "./gate/suites/index.ts";
import { type Measurement, type SuiteContext, TARGET_SHAPE, type Tier } from "./gate/types.ts";

const root = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    tier: { type: "string", default: "fast" },
    suites: { type: "string" },
    out: { type: "string" },
    rounds: { type: "string" },
  },
});
if (values.tier !== "fast" && values.tier !== "full") {
  console.error(`bench:gate: --tier must be fast or full, got "${values.tier}"`);
  process.exit(2);
}
const tier = values.tier as Tier;
const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`bench:gate: --rounds must be a positive integer, got "${values.rounds}"`);
  process.exit(2);
}
const injectDelayMs = Number(process.env.SLUICE_BENCH_INJECT_DELAY_MS ?? 0);
if (!Number.isFinite(injectDelayMs) || injectDelayMs < 0) {
  console.error("bench:gate: SLUICE_BENCH_INJECT_DELAY_MS must be a non-negative number");
  process.exit(2);
}

const all = SUITES.filter((s) => s.tiers === undefined || s.tiers.includes(values.tier as Tier));
const wanted = values.suites?.split(",");
const suites = wanted ? all.filter((s) => wanted.includes(s.name)) : all;

const started = new Date();
const log = (line: string) => process.stderr.write(`bench:gate: ${line}\n`);
const modelPath =
  tier === "fast"
    ? await ensureSynthModel({ preset: "lfm2-tiny" })
    : await ensureSynthModel({ preset: "lfm2-350m", type: "q8_0" });
const storiesPath = findModelFixture("stories260K.gguf");
if (!storiesPath && process.env.CI) {
  console.error("bench:gate: stories260K.gguf not found in SLUICE_MODEL_DIRS; CI must provide it");
  process.exit(1);
}
const ctx: SuiteContext = {
  tier,
  modelPath,
  modelLabel: tier === "fast" ? "lfm2-tiny (synthetic)" : "lfm2-350m shape, Q8_0 (synthetic)",
  storiesPath,
  injectDelayMs,
  rounds,
  log,
};
if (injectDelayMs > 0) log(`injecting ${injectDelayMs} ms into the SDK request path`);

const measurements: Measurement[] = [];
let broken = false;
for (const suite of suites) {
  log(`running ${suite.name}…`);
  const t0 = performance.now();
  try {
    const model = tier === "fast" ? "lfm2-tiny" : TARGET_SHAPE;
    measurements.push(...(await suite.run(ctx)).map((m) => ({ model, ...m })));
    log(`${suite.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    broken = true;
    log(`${suite.name} FAILED: ${(error as Error).stack ?? error}`);
  }
}

const budgets = loadBudgets(join(root, "budgets.json"));
const verdicts = judge(budgets, measurements, tier).filter(
  (v) => !wanted || v.measurement !== undefined || suites.some((s) => v.budget.id.startsWith(s.name)),
);
const seconds = (Date.now() - started.getTime()) / 1000;
const report = writeReport({
  dir: values.out ?? join(root, "results", tier),
  tier,
  model: ctx.modelLabel,
  measurements,
  verdicts,
  startedAt: started,
  seconds,
});
console.log(measurementTable(measurements));
console.log("");
console.log(verdictTable(verdicts));
const breached = verdicts.filter((v) => v.gated && !v.pass);
const unmet = verdicts.filter((v) => v.measurement !== undefined && !v.planMet);
console.log(`\nreport: ${report}`);
if (unmet.length > 0)
  console.log(
    `bench:gate: plan targets NOT met: ${unmet.map((v) => `${v.budget.id} = ${v.measurement?.value.toFixed(2)} ${v.budget.unit} (target ${v.budget.op} ${v.budget.limit})`).join("; ")}`,
  );
if (broken || breached.length > 0) {
  console.log(
    `bench:gate: FAIL${broken ? " (a suite failed)" : ""}${breached.length ? ` (${breached.map((b) => b.budget.id).join(", ")})` : ""}`,
  );
  process.exit(1);
}
console.log("bench:gate: PASS");
process.exit(0);
