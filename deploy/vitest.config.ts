import { defineConfig } from "vitest/config";

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (tooling/typescript/base.json);
  // the rest is vitest's default (Vite's server conditions without "module").
  ssr: { resolve: { conditions: ["@sluice/source", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // No source of its own: coverage is measured where the code lives.
    coverage: { provider: "v8", include: ["src/**"], reporter: ["json-summary"] },
  },
});
