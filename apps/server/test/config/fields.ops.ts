import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import { totalmem } from "node:os";
import { join } from "node:path";
import { sluiceConfigSchema } from "@sluice/config";
import { cgroupMemoryLimit } from "@sluice/core";
import { expect } from "vitest";
import { sha256Hex } from "../../src/auth/ApiKeyStore.ts";
import { budgetOf } from "../../src/commands/doctorChecks.ts";
import { innermostProcess } from "../helpers.ts";
import { freePort } from "../redis.ts";
import { chat, eventually, type Harness, sample, startFailure, startWith } from "./harness.ts";
import type { Profile } from "./profile.ts";

const runnerPid = async (h: Harness): Promise<number | undefined> => {
  const list = (await h.get("/v1/models")).json().data as Array<{
    id: string;
    sluice: { memory?: { runnerPid?: number } };
  }>;
  const pid = list.find((m) => m.id === "lfm2-tiny")?.sluice.memory?.runnerPid;
  // The report may still name a runner that is gone (until the next one reports): only a live process counts.
  if (pid === undefined || !existsSync(`/proc/${pid}`)) return undefined;
  return innermostProcess(pid);
};
const crashes = (h: Harness) =>
  h.logs
    .filter((l) => l.msg === "runner event" && l.event === "crash")
    .map((l) => (l.detail as { restartInMs?: number }).restartInMs);

/** A one-shot OTLP/HTTP collector on 127.0.0.1 that keeps the request bodies. */
async function collector(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("latin1"));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const SECRET = "k17-secret";
const ADMIN_SECRET = "k18-secret";
const RATE_SECRET = "k19-secret";

/** Runner supervision, budget, breaker, auth and rate limits, tracing, audit and the listener. */
export const opsProfiles: Profile[] = [
  {
    name: "runner processes",
    config: {
      runtime: { mode: "runner", hangTimeoutMs: 2500, restart: { initialDelayMs: 250, maxDelayMs: 400 } },
    },
    fields: {
      "runtime.mode": async (h) => {
        // Only a runner process has an RSS of its own; /metrics exports it beside the estimate.
        const pid = await eventually(() => runnerPid(h));
        expect(pid).not.toBe(process.pid);
        const body = (await h.get("/metrics")).body;
        expect(
          sample(body, "sluice_model_memory_bytes", { model: "lfm2-tiny", kind: "rss" }),
        ).toBeGreaterThan(0);
        expect(
          sample(body, "sluice_model_memory_bytes", { model: "lfm2-tiny", kind: "estimate" }),
        ).toBeGreaterThan(0);
      },
      "runtime.hangTimeoutMs": async (h) => {
        const pid = await eventually(() => runnerPid(h));
        process.kill(pid, "SIGSTOP");
        // A runner silent for 2.5 s is killed and replaced (the default waits a minute).
        try {
          await eventually(async () => {
            const next = await runnerPid(h);
            return next !== undefined && next !== pid ? next : undefined;
          });
        } finally {
          try {
            process.kill(pid, "SIGCONT");
          } catch {
            // Already gone: the supervisor killed it.
          }
        }
        expect(crashes(h).length).toBeGreaterThanOrEqual(1);
      },
      "runtime.restart.initialDelayMs": async (h) => {
        // The first crash (the hang above) restarts after the initial delay.
        expect(crashes(h)[0]).toBe(250);
      },
      "runtime.restart.maxDelayMs": async (h) => {
        const pid = await eventually(() => runnerPid(h));
        process.kill(pid, "SIGKILL");
        await eventually(() => (crashes(h).length >= 2 ? true : undefined));
        // Doubling would give 500; the cap is 400.
        expect(crashes(h)[1]).toBe(400);
      },
    },
  },
  {
    name: "memory budget",
    config: { runtime: { memoryBudgetBytes: 3_000_000_000 } },
    fields: {
      "runtime.memoryBudgetBytes": async (h) => {
        expect(sample((await h.get("/metrics")).body, "sluice_memory_budget_bytes")).toBe(3_000_000_000);
        // `auto` is the figure `sluice doctor` prints.
        const auto = await startWith({});
        try {
          const expected = budgetOf(sluiceConfigSchema.parse({}), totalmem(), cgroupMemoryLimit());
          expect(sample((await auto.get("/metrics")).body, "sluice_memory_budget_bytes")).toBe(expected);
        } finally {
          await auto.stop();
        }
        // A budget smaller than the model refuses the start-up load.
        expect(await startFailure({ runtime: { memoryBudgetBytes: 1024 } })).toBe("OUT_OF_MEMORY_BUDGET");
      },
    },
  },
  {
    name: "breaker",
    config: {
      runtime: { breaker: { consecutiveFailures: 1, halfOpenAfterMs: 300 } },
      // Without a cache no file digest is looked up before the queue: the load failure reaches the breaker.
      cache: { enabled: false },
      cascade: { enabled: true, tiers: [{ model: "lfm2-tiny" }, { model: "/nonexistent/missing.gguf" }] },
    },
    fields: {
      "runtime.breaker.consecutiveFailures": async (h) => {
        const first = await h.post("/v1/chat/completions", { ...chat("hi"), model: "missing" });
        expect(first.json().error.code).toBe("MODEL_NOT_FOUND");
        // One failure opens it (the default needs three).
        const second = await h.post("/v1/chat/completions", { ...chat("hi"), model: "missing" });
        expect(second.json().error.code).toBe("CIRCUIT_OPEN");
      },
      "runtime.breaker.halfOpenAfterMs": async (h) => {
        // After 300 ms a trial request reaches the model again (the default waits 30 s).
        await eventually(async () => {
          const res = await h.post("/v1/chat/completions", { ...chat("hi"), model: "missing" });
          return res.json().error.code === "MODEL_NOT_FOUND" ? true : undefined;
        });
      },
    },
  },
  {
    name: "auth and rate limits",
    config: {
      auth: {
        enabled: true,
        keys: [
          { id: "k17", sha256: sha256Hex(SECRET), scopes: ["infer"] },
          { id: "k18", sha256: sha256Hex(ADMIN_SECRET), scopes: ["infer", "admin"] },
          { id: "k19", sha256: sha256Hex(RATE_SECRET), scopes: ["infer"] },
        ],
      },
      limits: { rateLimit: { enabled: true, burst: 3, requestsPerMinute: 6 } },
    },
    fields: {
      "auth.enabled": async () => {
        expect(await startFailure({ auth: { enabled: true } })).toBe("CONFIG_INVALID");
      },
      "auth.keys[].sha256": async (h) => {
        expect((await h.get("/v1/models", { authorization: `Bearer ${SECRET}` })).status).toBe(200);
        expect((await h.get("/v1/models", { authorization: "Bearer wrong" })).status).toBe(401);
      },
      "auth.keys[].scopes": async (h) => {
        expect((await h.get("/trpc/system.config", { authorization: `Bearer ${SECRET}` })).status).toBe(403);
        expect((await h.get("/trpc/system.config", { authorization: `Bearer ${ADMIN_SECRET}` })).status).toBe(
          200,
        );
      },
      "limits.rateLimit.enabled": async (h) => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++)
          statuses.push((await h.get("/v1/models", { authorization: `Bearer ${RATE_SECRET}` })).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
      },
      "limits.rateLimit.burst": async (h) => {
        // The bucket of k19 held 3 (burst); k18's is untouched.
        expect((await h.get("/v1/models", { authorization: `Bearer ${ADMIN_SECRET}` })).status).toBe(200);
      },
      "limits.rateLimit.requestsPerMinute": async (h) => {
        const res = await h.get("/v1/models", { authorization: `Bearer ${RATE_SECRET}` });
        expect(res.status).toBe(429);
        // 6 per minute refills a token every 10 s (600 per minute: 0.1 s).
        expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(5);
      },
      "auth.keys[].id": async (h) => {
        const res = await h.get("/v1/models", { authorization: `Bearer ${RATE_SECRET}` });
        expect(res.json().error.message).toContain("k19");
      },
    },
  },
  {
    name: "tracing",
    config: null,
    fields: {
      "telemetry.tracing.otlpEndpoint": async () => {
        const c = await collector();
        try {
          const h = await startWith({
            telemetry: { tracing: { otlpEndpoint: c.url, serviceName: "svc-17" } },
          });
          expect((await h.post("/v1/chat/completions", chat("traced"))).status).toBe(200);
          await h.stop();
          expect(c.bodies.length).toBeGreaterThan(0);
        } finally {
          await c.close();
        }
      },
      "telemetry.tracing.serviceName": async () => {
        const c = await collector();
        try {
          const h = await startWith({
            telemetry: { tracing: { otlpEndpoint: c.url, serviceName: "svc-17" } },
          });
          await h.post("/v1/chat/completions", chat("traced"));
          await h.stop();
          expect(c.bodies.join("")).toContain("svc-17");
        } finally {
          await c.close();
        }
      },
      "telemetry.tracing.sampleRatio": async () => {
        const c = await collector();
        try {
          const h = await startWith({ telemetry: { tracing: { otlpEndpoint: c.url, sampleRatio: 0 } } });
          await h.post("/v1/chat/completions", chat("not traced"));
          await h.stop();
          expect(c.bodies.join("")).not.toContain("sluice.");
        } finally {
          await c.close();
        }
      },
    },
  },
  {
    name: "audit log",
    config: { telemetry: { audit: { maxFileBytes: 1024 } } },
    fields: {
      "telemetry.audit.dir": async (h) => {
        await h.server.sluice.models.load("lfm2-tiny", { actor: "test" });
        await eventually(() =>
          existsSync(join(h.dir, "audit")) && readdirSync(join(h.dir, "audit")).length > 0 ? true : undefined,
        );
      },
      "telemetry.audit.maxFileBytes": async (h) => {
        for (let i = 0; i < 12; i++)
          await h.server.sluice.models.load("lfm2-tiny", { actor: `test-${"x".repeat(100)}` });
        await eventually(() => (readdirSync(join(h.dir, "audit")).length >= 2 ? true : undefined));
      },
      "telemetry.audit.enabled": async () => {
        const off = await startWith({ telemetry: { audit: { enabled: false } } });
        try {
          await off.server.sluice.models.load("lfm2-tiny", { actor: "test" });
          expect(existsSync(join(off.dir, "audit"))).toBe(false);
        } finally {
          await off.stop();
        }
      },
    },
  },
  {
    name: "listener",
    config: null,
    fields: {
      "server.host": async () => {
        const h = await startWith({ server: { host: "127.0.0.2" } });
        try {
          expect(h.server.host).toBe("127.0.0.2");
        } finally {
          await h.stop();
        }
      },
      "server.port": async () => {
        const port = await freePort();
        const h = await startWith({ server: { port } });
        try {
          expect(h.server.port).toBe(port);
        } finally {
          await h.stop();
        }
      },
      "server.playgroundPort": async () => {
        const h = await startWith({ server: { playgroundPort: 3999 } });
        try {
          const res = await h.get("/v1/models", { origin: "http://127.0.0.1:3999" });
          expect(res.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:3999");
          expect(h.printed.join("\n")).toContain("http://127.0.0.1:3999");
        } finally {
          await h.stop();
        }
      },
      "server.shutdownGraceMs": async () => {
        const h = await startWith({ server: { shutdownGraceMs: 1 }, runtime: { sequences: 1 } });
        // A stream read no further stays in flight until the grace period ends it.
        const held = h.server.sluice
          .chatStream({ messages: [{ role: "user", content: "go on" }], maxTokens: 100, temperature: 1 })
          [Symbol.asyncIterator]();
        await held.next();
        await h.server.shutdown();
        // Tokens already decoded may still be handed out; the stream must then end with an error, not finish.
        const rest = await (async () => {
          try {
            while (!(await held.next()).done);
            return "finished";
          } catch (err) {
            return (err as { code?: string }).code;
          }
        })();
        expect(["ABORTED", "DISPOSED", "TIMEOUT"]).toContain(rest);
        await h.stop();
      },
    },
  },
];
