import { defineConfig } from "vitest/config";
import { runnerCoverageEnv, workspaceCoverage } from "../../vitest.coverage.ts";

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (tooling/typescript/base.json);
  // the rest is vitest's default (Vite's server conditions without "module").
  ssr: { resolve: { conditions: ["@sluice/source", "node", "development|production"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Runners started by these tests report coverage as well (coverage runs only).
    env: runnerCoverageEnv(),
    // Measured with `vitest run --coverage` (CI: `pnpm test`); the floor holds the level
    // this package's own tests reach on its own files, so it cannot silently fall.
    coverage: workspaceCoverage({ lines: 78, branches: 66 }),
  },
});
