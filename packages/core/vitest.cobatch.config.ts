import { defineConfig } from "vitest/config";

// The co-batching fidelity probe (test/fidelity/cobatch.probe.ts): not in `pnpm test`; see the file.
export default defineConfig({
  ssr: { resolve: { conditions: ["@sluice/source", "node", "development|production"] } },
  test: {
    include: ["test/fidelity/cobatch.probe.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
