import { defineConfig } from "vitest/config";
import { workspaceCoverage } from "../../vitest.coverage.ts";

// Browser tests against a real server and a built playground: one process,
// one file at a time, long bounds (a loaded CI machine decodes slowly).
export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (tooling/typescript/base.json);
  // the rest is vitest's default (Vite's server conditions without "module").
  ssr: { resolve: { conditions: ["@sluice/source", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Measured with `vitest run --coverage` (CI: `pnpm test`); the floor holds the level
    // this package's own tests reach on its own files, so it cannot silently fall.
    // First run (2026-12-04): 8.25 % lines, 4.14 % branches. The pages run in Chromium against
    // the production build, which v8 in this process does not see; the browser tests are the
    // playground's real coverage, this floor only the code shared with the server side.
    coverage: workspaceCoverage({ lines: 8, branches: 4 }),
  },
});
