// Cache tier latencies: memory-tier hit (target p99 < 50 µs), persistent-tier
// hit and Redis-tier hit. Each tier is first checked to return exactly what was
// stored, then timed. Run: pnpm --filter @sluice/benchmarks bench:cache
import { deepStrictEqual, ok } from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cache, type CacheOptions, createCache } from "@sluice/cache";
import { Bench } from "tinybench";
import { startRedis } from "./redisServer.ts";

const ENTRIES = 1000;
const DIMENSIONS = 1024;
const MEMORY_P99_TARGET_US = 50;
const keys = [{ id: "bench", key: randomBytes(32) }];

function embedding(seed: number): Float32Array {
  const vector = new Float32Array(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) vector[i] = Math.sin(seed * 31 + i);
  return vector;
}

async function populate(cache: Cache): Promise<void> {
  for (let i = 0; i < ENTRIES; i++) await cache.set(`emb-${i}`, embedding(i));
}

/** Every key must come back bit-identical before any timing counts. */
async function verify(cache: Cache, tier: string): Promise<void> {
  for (let i = 0; i < ENTRIES; i += 97) {
    const value = await cache.get(`emb-${i}`);
    ok(value instanceof Float32Array, `${tier}: emb-${i} missed`);
    deepStrictEqual(Buffer.from(value.buffer), Buffer.from(embedding(i).buffer), `${tier}: emb-${i} differs`);
  }
}

interface Row {
  tier: string;
  samples: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
}

async function time(
  tier: string,
  cache: Cache,
  expectedTier: "memory" | "persistent" | "redis",
): Promise<Row> {
  let hits = 0;
  const off = cache.on("hit", (event) => {
    if (event.tier === expectedTier) hits++;
  });
  let i = 0;
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench.add(tier, async () => {
    const value = await cache.get(`emb-${i++ % ENTRIES}`);
    if (value === undefined) throw new Error(`${tier}: miss while timing`);
  });
  await bench.run();
  off();
  const task = bench.tasks[0]!;
  const result = task.result;
  if (result.state !== "completed") {
    throw new Error(`${tier}: benchmark ${result.state}`, { cause: (result as { error?: unknown }).error });
  }
  // Every timed read must have been served by the tier under test, not a faster one above it.
  ok(hits >= result.latency.samplesCount, `${tier}: only ${hits} hits came from ${expectedTier}`);
  return {
    tier,
    samples: result.latency.samplesCount,
    p50_us: round(result.latency.p50 * 1000),
    p99_us: round(result.latency.p99 * 1000),
    mean_us: round(result.latency.mean * 1000),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function tier(options: CacheOptions, name: string, expected: "memory" | "persistent" | "redis") {
  const cache = createCache(options);
  try {
    if (options.redis !== undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("Redis did not connect within 10 s")), 10_000);
        const check = () => {
          if (cache.stats().redis?.connected) {
            clearTimeout(timer);
            resolve();
          }
        };
        cache.on("connection", check);
        check();
      });
    }
    await populate(cache);
    await verify(cache, name);
    return await time(name, cache, expected);
  } finally {
    await cache.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "sluice-bench-cache-"));
const redis = await startRedis();
try {
  const rows: Row[] = [];
  rows.push(await tier({ memory: { maxEntries: ENTRIES * 2 } }, "memory hit", "memory"));
  rows.push(
    await tier(
      { memory: false, persistent: { path: join(dir, "cache.db"), keys, activeKeyId: "bench" } },
      "persistent hit",
      "persistent",
    ),
  );
  rows.push(
    await tier(
      {
        memory: false,
        // A generous timeout: on a loaded machine a slow reply would become a bypass (a miss), not a timed hit.
        redis: { url: redis.url, keys, activeKeyId: "bench", timeoutMs: 2000, cooldownMs: 0 },
      },
      "redis hit",
      "redis",
    ),
  );
  console.log(`cache tier hits, ${DIMENSIONS}-dim Float32 embeddings, ${ENTRIES} entries per tier`);
  console.table(rows);
  const memoryP99 = rows[0]!.p99_us;
  const pass = memoryP99 < MEMORY_P99_TARGET_US;
  console.log(
    `memory-tier hit p99 ${memoryP99} µs (target < ${MEMORY_P99_TARGET_US} µs): ${pass ? "PASS" : "FAIL"}`,
  );
  console.log(JSON.stringify({ suite: "cache", rows, memoryP99TargetUs: MEMORY_P99_TARGET_US, pass }));
  process.exitCode = pass ? 0 : 1;
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
