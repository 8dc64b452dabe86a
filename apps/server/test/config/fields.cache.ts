import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startRedis } from "../redis.ts";
import { type Harness, startWith } from "./harness.ts";
import type { Profile } from "./profile.ts";

const key = (fill: number) => Buffer.alloc(32, fill).toString("base64");
const embed = async (h: Harness, text: string) =>
  (await h.post("/v1/embeddings", { model: "lfm2-tiny", input: [text] })).json().sluice.cachedCount as number;

/** Embeds `text` on a server with `first`, then asks again after a restart with `second` (same directory). */
async function acrossRestart(
  first: (dir: string) => object,
  second: (dir: string) => object,
  text = "persisted",
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
  const a = await startWith(first(dir), { dir });
  try {
    await embed(a, text);
  } finally {
    await a.stop();
  }
  const b = await startWith(second(dir), { dir });
  try {
    return await embed(b, text);
  } finally {
    await b.stop();
  }
}

/** The disk tier in the test's own directory, sealing with k2. */
const disk =
  (over: object = {}) =>
  (dir: string) => ({
    cache: {
      persistent: {
        enabled: true,
        path: join(dir, "c.db"),
        keys: [
          { id: "k1", key: key(1) },
          { id: "k2", key: key(2) },
        ],
        activeKeyId: "k2",
        ...over,
      },
    },
  });

/** The encrypted disk tier and the shared Redis tier, each across restarts or replicas. */
export const cacheProfiles: Profile[] = [
  {
    name: "persistent tier",
    config: null,
    fields: {
      "cache.persistent.enabled": async () => {
        // A fresh process has an empty memory tier: a hit can only come from disk.
        expect(await acrossRestart(disk(), disk())).toBe(1);
        expect(await acrossRestart(disk({ enabled: false }), disk({ enabled: false }))).toBe(0);
      },
      "cache.persistent.path": async () => {
        const dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
        const path = join(dir, "elsewhere.db");
        const h = await startWith(disk({ path })(dir), { dir });
        try {
          await embed(h, "on disk");
        } finally {
          await h.stop();
        }
        expect(existsSync(path)).toBe(true);
        expect(existsSync(join(dir, "c.db"))).toBe(false);
      },
      "cache.persistent.activeKeyId": async () => {
        // Sealed with k2 (active): readable by a restart that only has k2.
        expect(await acrossRestart(disk(), disk({ keys: [{ id: "k2", key: key(2) }] }))).toBe(1);
      },
      "cache.persistent.keys[].id": async () => {
        // The same secret under another id does not open entries sealed with k2.
        expect(
          await acrossRestart(disk(), disk({ keys: [{ id: "k3", key: key(2) }], activeKeyId: "k3" })),
        ).toBe(0);
      },
      "cache.persistent.keys[].key": async () => {
        expect(await acrossRestart(disk(), disk({ keys: [{ id: "k2", key: key(9) }] }))).toBe(0);
      },
      "cache.persistent.maxBytes": async () => {
        expect(await acrossRestart(disk({ maxBytes: 1 }), disk({ maxBytes: 1 }))).toBe(0);
      },
    },
  },
  {
    name: "redis tier",
    config: null,
    fields: {
      "cache.redis.url": async () => {
        const redis = await startRedis();
        try {
          const shared = {
            cache: { redis: { url: redis.url }, persistent: { keys: [{ id: "k", key: key(3) }] } },
          };
          const a = await startWith(shared);
          const b = await startWith(shared);
          try {
            await embed(a, "shared");
            // A second replica finds what the first computed.
            expect(await embed(b, "shared")).toBe(1);
          } finally {
            await a.stop();
            await b.stop();
          }
        } finally {
          await redis.stop();
        }
      },
      "cache.redis.keyPrefix": async () => {
        const redis = await startRedis();
        try {
          const h = await startWith({
            cache: {
              redis: { url: redis.url, keyPrefix: "t17:" },
              persistent: { keys: [{ id: "k", key: key(3) }] },
            },
          });
          try {
            await embed(h, "prefixed");
          } finally {
            await h.stop();
          }
          const port = new URL(redis.url).port;
          const keys = execFileSync("redis-cli", ["-p", port, "--scan", "--pattern", "t17:*"], {
            encoding: "utf8",
          });
          expect(keys.trim().split("\n").filter(Boolean).length).toBeGreaterThan(0);
        } finally {
          await redis.stop();
        }
      },
      "cache.redis.timeoutMs": async () => {
        const redis = await startRedis();
        const tier = (timeoutMs: number) => ({
          cache: { redis: { url: redis.url, timeoutMs }, persistent: { keys: [{ id: "k", key: key(3) }] } },
        });
        const patient = await startWith(tier(600_000));
        const quick = await startWith(tier(50));
        try {
          process.kill(redis.pid, "SIGSTOP");
          let patientDone = false;
          const waiting = embed(patient, "paused").finally(() => {
            patientDone = true;
          });
          // With Redis frozen, the 50 ms server bypasses it and answers; the patient one still waits.
          expect(await embed(quick, "paused")).toBe(0);
          expect(patientDone).toBe(false);
          process.kill(redis.pid, "SIGCONT");
          await waiting;
        } finally {
          try {
            process.kill(redis.pid, "SIGCONT");
          } catch {
            // Redis already gone.
          }
          await patient.stop();
          await quick.stop();
          await redis.stop();
        }
      },
    },
  },
];
