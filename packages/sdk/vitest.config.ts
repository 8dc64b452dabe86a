import { defineConfig } from "vitest/config";

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
    // Measured with `vitest run --coverage` (CI: `pnpm test`); thresholds
    // hold the level this package reaches so coverage cannot silently fall.
    coverage: {
      provider: "v8",
      include: ["src/**/*.{ts,tsx}"],
      exclude: ["src/**/*.test.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 78, branches: 66 },
    },
  },
});
