import { cacheKey, createCache } from "@sluice/cache";
import { Bench } from "tinybench";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

/** The memory-tier hit path: what a repeated embedding costs once it is cached. */
export const cacheSuite: Suite = {
  name: "cache",
  async run(ctx) {
    const cache = createCache({ memory: { maxEntries: 10_000, maxBytes: 64 << 20 } });
    try {
      const vector = Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i));
      const key = cacheKey({ modelSha256: "0".repeat(64), op: "embed", input: "a cache remembers" });
      await cache.set(key, vector);
      const hit = await cache.get(key);
      if (!(hit instanceof Float32Array) || hit.length !== vector.length || hit[5] !== vector[5]) {
        throw new WrongResultError("memory tier did not return the stored vector");
      }
      const bench = new Bench({ time: ctx.tier === "fast" ? 500 : 1500, warmupTime: 100 });
      bench.add("memory hit", async () => {
        await cache.get(key);
      });
      await bench.run();
      const latency = bench.tasks[0]!.result as unknown as { latency: { p50: number; p99: number } };
      const out: Measurement[] = [
        {
          id: "cache.memory.hit.p50",
          suite: "cache",
          what: "memory-tier hit p50 (1024-d vector)",
          value: latency.latency.p50 * 1000,
          unit: "µs",
        },
        {
          id: "cache.memory.hit.p99",
          suite: "cache",
          what: "memory-tier hit p99 (1024-d vector)",
          value: latency.latency.p99 * 1000,
          unit: "µs",
        },
      ];
      return out;
    } finally {
      await cache.close();
    }
  },
};
