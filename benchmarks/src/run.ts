// `pnpm bench` (and `sluice bench` without a suite): every suite of this
// package in turn — each `bench:<suite>` script except the gate — with a
// progress line per suite and a summary; exits 1 when any suite failed.
// Run: pnpm --filter @sluice/benchmarks bench
// Env: BENCH_SUITES (comma-separated subset, in the given order; default: all).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("..", import.meta.url));

/** The suites this package defines, in script order. */
function suites(): string[] {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as { scripts: Record<string, string> };
  return Object.keys(pkg.scripts)
    .filter((s) => s.startsWith("bench:") && s !== "bench:gate")
    .map((s) => s.slice("bench:".length));
}

{
  const defined = suites();
  const asked = process.env.BENCH_SUITES?.split(",").filter(Boolean);
  const unknown = asked?.filter((s) => !defined.includes(s)) ?? [];
  if (unknown.length > 0)
    throw new RangeError(`BENCH_SUITES: unknown ${unknown.join(", ")}; suites: ${defined.join(", ")}`);
  const all = asked ?? defined;
  const outcomes: string[] = [];
  for (const [i, suite] of all.entries()) {
    const started = Date.now();
    console.log(`bench: [${i + 1}/${all.length}] ${suite} …`);
    const result = spawnSync("pnpm", ["--silent", "run", `bench:${suite}`], { cwd: dir, stdio: "inherit" });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const ok = result.status === 0;
    outcomes.push(
      `${suite}: ${ok ? "ok" : `FAILED (exit ${result.status ?? result.signal})`} in ${seconds} s`,
    );
    console.log(`bench: [${i + 1}/${all.length}] ${suite} ${ok ? "done" : "FAILED"} in ${seconds} s`);
  }
  console.log(`bench: summary\n  ${outcomes.join("\n  ")}`);
  if (outcomes.some((o) => o.includes("FAILED"))) process.exitCode = 1;
}
