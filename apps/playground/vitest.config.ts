import { defineConfig } from "vitest/config";

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
    // Measured with `vitest run --coverage` (CI: `pnpm test`); thresholds
    // hold the level this package reaches so coverage cannot silently fall.
    coverage: {
      provider: "v8",
      include: ["src/**/*.{ts,tsx}"],
      exclude: ["src/**/*.test.ts"],
      reporter: ["text-summary", "json-summary"],
      // No passing coverage run of this package yet (the shared machine timed it out):
      // 0 until CI's first merged report gives the figure to floor.
      thresholds: { lines: 0, branches: 0 },
    },
  },
});
