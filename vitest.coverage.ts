/**
 * Coverage settings shared by every package's vitest config.
 *
 * A run measures its own package's sources and every workspace package's
 * sources it loads: the server's tests reach `@sluice/api` and `@sluice/sdk`
 * through real HTTP, the SDK's reach `@sluice/core`, and that is the path users
 * take. Each package writes `coverage/coverage-final.json`;
 * `scripts/coverage-report.mjs` merges them and judges each package on all
 * the tests that ran its code, beside the figure from its own tests.
 *
 * The floor given here applies to this package's own files in this run
 * (vitest fails below it), so no package's own tests can silently fall.
 */
import { join } from "node:path";
import type { CoverageV8Options } from "vitest/node";

export interface CoverageFloor {
  lines: number;
  branches: number;
}

/**
 * Workspace sources a run may load besides its own. vitest matches `include`
 * against a loaded file's absolute path ("contains"), but looks for files no
 * test loaded only under the package itself: another package's untested files
 * come from that package's own run, never from a second one.
 */
const WORKSPACE_SOURCES = ["packages", "apps", "tooling"].map((group) => `${group}/*/src/**/*.{ts,tsx}`);

export function workspaceCoverage(floor: CoverageFloor): { provider: "v8" } & CoverageV8Options {
  return {
    provider: "v8",
    include: ["src/**/*.{ts,tsx}", ...WORKSPACE_SOURCES],
    allowExternal: true,
    exclude: ["**/*.test.{ts,tsx}", "**/*.d.ts", "**/node_modules/**", "**/dist/**"],
    // coverage-final.json only: totals over every loaded workspace file would mislead; the
    // merged report prints per-package figures.
    reporter: ["json"],
    thresholds: { "src/**/*.{ts,tsx}": floor },
  };
}

/**
 * Test environment that lets runner processes report coverage too: V8 writes
 * each runner's coverage to `coverage/runners/` when it exits, and the code
 * tsx produced for each source beside it (core's coverageSources.mjs);
 * `scripts/coverage-report.mjs` maps both back to the TypeScript sources.
 * Empty unless the run measures coverage (`--coverage`).
 */
export function runnerCoverageEnv(): Record<string, string> {
  const on = ["--coverage", "--coverage.enabled", "--coverage.enabled=true"];
  if (!process.argv.some((a) => on.includes(a))) return {};
  return { NODE_V8_COVERAGE: join(process.cwd(), "coverage", "runners") };
}
