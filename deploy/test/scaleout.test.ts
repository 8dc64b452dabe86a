// Scale-out, proven with real parts on 127.0.0.1: three Sluice replicas (one
// runner each, synthetic lfm2-tiny), a real redis-server shared by them, and
// HAProxy running deploy/haproxy/haproxy.cfg in front. Each scenario drives a
// bounded load with @sluice/loadgen and prints what it sent, what succeeded,
// what failed by code, and the observation that proves it.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { type LoadRequest, type LoadResult, runLoad, summarize } from "@sluice/loadgen";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, Cluster, RATE, type Replica } from "./scaleout/cluster.ts";
import { alive, haproxyCommand, startRedis, waitFor } from "./scaleout/processes.ts";

const cluster = new Cluster();
beforeAll(async () => {
  await cluster.start();
  console.log(
    `scale-out: 3 replicas (${cluster.compiled ? "compiled server" : "TypeScript sources via tsx"}), redis ${cluster.redis.url}, haproxy ${cluster.lbUrl}`,
  );
}, 240_000);
afterAll(() => cluster.stop(), 60_000);

const report = (scenario: string, results: readonly LoadResult[], observation: Record<string, unknown>) => {
  const s = summarize(results);
  console.log(
    `scale-out ${scenario}: sent ${s.sent}, succeeded ${s.succeeded}, failed ${s.failed} ${JSON.stringify(s.failedByCode)}; by replica ${JSON.stringify(s.byReplica)}; ${JSON.stringify(observation)}`,
  );
  return s;
};

const stream = (client: number): LoadRequest => ({
  path: "/v1/chat/completions",
  headers: bearer(`c${client}`),
  body: {
    model: "lfm2-tiny",
    messages: [{ role: "user", content: `Client ${client} tells a story.` }],
    max_tokens: 96,
    temperature: 0.8,
    stream: true,
  },
});

/** A burst of cheap authenticated requests for one key through the load balancer. */
async function burst(key: string) {
  const results = await runLoad({
    url: cluster.lbUrl,
    clients: 8,
    seconds: 20,
    maxRequests: 240,
    request: () => ({ path: "/v1/models", headers: bearer(key) }),
  });
  const elapsedS = Math.max(...results.map((r) => r.endedMs)) / 1000;
  const allowed = results.filter((r) => r.ok).length;
  // What one shared bucket can grant in that time: its burst plus the refill.
  const globalBudget = RATE.burst + (RATE.requestsPerMinute / 60) * elapsedS;
  return { results, allowed, elapsedS, globalBudget };
}

/** Cache entries in the shared Redis (rate-limit buckets live there too, under another prefix, and expire). */
const redisKeys = () =>
  execFileSync("redis-cli", ["-p", String(cluster.redis.port), "--scan", "--pattern", "sluice:cache:*"], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean).length;

/** Tracks which streams are in flight on which replica (from the load balancer's header). */
function inFlightTracker() {
  const live = new Map<string, string | undefined>();
  return {
    onStreamStart: (i: { client: number; index: number; replica: string | undefined }) =>
      live.set(`${i.client}:${i.index}`, i.replica),
    onResult: (r: LoadResult) => live.delete(`${r.client}:${r.index}`),
    on: (replica: string) => [...live].filter(([, r]) => r === replica).map(([k]) => k),
  };
}

describe("Sluice scaled out behind HAProxy with a shared Redis", () => {
  it("1. shares a key's rate limit across replicas", async () => {
    const { results, allowed, elapsedS, globalBudget } = await burst("c19");
    const limited = results.filter((r) => r.status === 429);
    const s = report("rate-limit", results, {
      allowed,
      globalBudget: Number(globalBudget.toFixed(1)),
      perReplicaBudget: Number((3 * globalBudget).toFixed(1)),
      elapsedS: Number(elapsedS.toFixed(2)),
      rate429: Number((limited.length / results.length).toFixed(2)),
    });
    // Every replica answered, yet the key got one budget, not three.
    expect(Object.keys(s.byReplica).sort()).toEqual(["r1", "r2", "r3"]);
    expect(allowed).toBeGreaterThanOrEqual(RATE.burst);
    expect(allowed).toBeLessThanOrEqual(Math.ceil(globalBudget) + 1);
    expect(limited.length).toBe(results.length - allowed);
    for (const r of limited) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("exports the HPA's metric, sluice_queue_depth, on every replica", async () => {
    for (const replica of cluster.replicas) {
      const text = await (await fetch(`${replica.url}/metrics`)).text();
      expect(text).toMatch(/^sluice_queue_depth\{model="lfm2-tiny"\} \d+$/m);
      expect(text).toMatch(/^sluice_queue_capacity\{model="lfm2-tiny"\} [1-9]\d*$/m);
    }
  });

  it("2. answers on one replica what another computed (results and embeddings)", async () => {
    const [r1, r2, r3] = cluster.replicas as [Replica, Replica, Replica];
    const post = async (replica: Replica, path: string, body: unknown) => {
      const res = await fetch(`${replica.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer("probe") },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      // biome-ignore lint/suspicious/noExplicitAny: OpenAI response bodies, checked field by field below
      return (await res.json()) as Record<string, any>;
    };
    let resultHits = 0;
    let embeddingHits = 0;
    const pairs: Array<[Replica, Replica]> = [
      [r1, r2],
      [r2, r3],
      [r3, r1],
    ];
    for (const [a, b] of pairs) {
      const chat = {
        model: "lfm2-tiny",
        messages: [{ role: "user", content: `cache probe ${randomUUID()}` }],
        max_tokens: 12,
        temperature: 0,
      };
      const hitsBefore = await cluster.metric(b, "sluice_cache_requests_total", {
        cache: "result",
        result: "hit",
      });
      const generatedBefore = await cluster.metric(b, "sluice_tokens_total", { kind: "generated" });
      const keysBefore = redisKeys();
      const first = await post(a, "/v1/chat/completions", chat);
      // The cache writes behind the answer: wait (bounded) until the entry is in Redis.
      await waitFor("the result entry in Redis", 10_000, async () =>
        redisKeys() > keysBefore ? true : undefined,
      );
      const second = await post(b, "/v1/chat/completions", chat);
      expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
      const hits =
        (await cluster.metric(b, "sluice_cache_requests_total", { cache: "result", result: "hit" })) -
        hitsBefore;
      // The model on `b` generated nothing: the answer came from Redis.
      expect(await cluster.metric(b, "sluice_tokens_total", { kind: "generated" })).toBe(generatedBefore);
      resultHits += hits;

      const text = `embedding probe ${randomUUID()}`;
      const eHitsBefore = await cluster.metric(b, "sluice_cache_requests_total", {
        cache: "embedding",
        result: "hit",
      });
      const eKeysBefore = redisKeys();
      const e1 = await post(a, "/v1/embeddings", { model: "lfm2-tiny", input: [text] });
      await waitFor("the embedding entry in Redis", 10_000, async () =>
        redisKeys() > eKeysBefore ? true : undefined,
      );
      const e2 = await post(b, "/v1/embeddings", { model: "lfm2-tiny", input: [text] });
      expect(e2.data[0].embedding).toEqual(e1.data[0].embedding);
      embeddingHits +=
        (await cluster.metric(b, "sluice_cache_requests_total", { cache: "embedding", result: "hit" })) -
        eHitsBefore;
    }
    console.log(
      `scale-out shared-cache: sent 12, succeeded 12, failed 0; cross-replica hits: results ${resultHits}/3, embeddings ${embeddingHits}/3`,
    );
    expect(resultHits).toBe(3);
    expect(embeddingHits).toBe(3);
  }, 60_000);

  it("3. rolls every replica with SIGTERM while 16 clients stream, without a failed request", async () => {
    const tracker = inFlightTracker();
    const stop = new AbortController();
    const drained: Record<string, { inFlightAtSigterm: number; completed: number }> = {};
    const atSigterm = new Map<string, string[]>();
    const load = runLoad({
      url: cluster.lbUrl,
      clients: 16,
      seconds: 240,
      request: stream,
      signal: stop.signal,
      onStreamStart: tracker.onStreamStart,
      onResult: tracker.onResult,
    });
    const results: LoadResult[] = [];
    const roll = async () => {
      for (const replica of cluster.replicas) {
        const inFlight = await waitFor(`streams in flight on ${replica.name}`, 30_000, async () => {
          const keys = tracker.on(replica.name);
          return keys.length > 0 ? keys : undefined;
        });
        replica.proc.child.kill("SIGTERM");
        expect(await replica.proc.exited).toBe(0);
        drained[replica.name] = { inFlightAtSigterm: inFlight.length, completed: 0 };
        atSigterm.set(replica.name, inFlight);
        await cluster.restart(replica);
        await cluster.waitLbStatus({ [replica.name]: "UP" });
      }
    };
    try {
      await roll();
    } finally {
      stop.abort();
      results.push(...(await load));
    }
    // The streams in flight at each SIGTERM ran to [DONE] on the draining replica.
    const byKey = new Map(results.map((r) => [`${r.client}:${r.index}`, r]));
    for (const [name, keys] of atSigterm)
      drained[name]!.completed = keys.filter(
        (k) => byKey.get(k)?.ok === true && byKey.get(k)?.replica === name,
      ).length;
    const s = report("rolling-restart", results, { drained });
    if (Object.keys(s.failedByCode).length > 0) console.log(`haproxy printed:\n${cluster.haproxy.output()}`);
    expect(s.failedByCode).toEqual({});
    expect(s.failed).toBe(0);
    for (const name of ["r1", "r2", "r3"]) {
      expect(drained[name]?.inFlightAtSigterm).toBeGreaterThan(0);
      expect(drained[name]?.completed).toBe(drained[name]?.inFlightAtSigterm);
    }
  }, 300_000);

  it("4. loses only the streams of a SIGKILLed replica, routes around it, and its runners die with it", async () => {
    const victim = cluster.replicas[1] as Replica;
    const tracker = inFlightTracker();
    const stop = new AbortController();
    const loadStart = performance.now();
    const load = runLoad({
      url: cluster.lbUrl,
      clients: 16,
      seconds: 120,
      request: stream,
      signal: stop.signal,
      onStreamStart: tracker.onStreamStart,
      onResult: tracker.onResult,
    });
    let killedAt = 0;
    let inFlightOnVictim = 0;
    let lbSessions = "";
    const runners = cluster.runners(victim);
    try {
      await waitFor(`streams in flight on ${victim.name}`, 30_000, async () =>
        tracker.on(victim.name).length > 0 ? true : undefined,
      );
      lbSessions = await haproxyCommand(cluster.stats, "show servers conn sluice");
      inFlightOnVictim = tracker.on(victim.name).length;
      killedAt = performance.now();
      victim.proc.child.kill("SIGKILL");
      await victim.proc.exited;
      await cluster.waitLbStatus({ [victim.name]: "DOWN" });
      // Keep the load on a while after the load balancer noticed: nothing new may fail.
      const until = Date.now() + 3000;
      await waitFor("3 s of load after the kill", 10_000, async () =>
        Date.now() > until ? true : undefined,
      );
    } finally {
      stop.abort();
    }
    const results = await load;
    const failed = results.filter((r) => !r.ok);
    // Requests in flight at the kill whose replica was the victim or not yet known (no headers yet).
    const killMs = killedAt - loadStart;
    const exposed = results.filter(
      (r) =>
        r.startedMs < killMs && r.endedMs >= killMs && (r.replica === victim.name || r.replica === undefined),
    );
    const runnersLeft = await waitFor("the killed replica's runners to exit", 15_000, async () =>
      runners.every((pid) => !alive(pid)) ? runners.filter(alive) : undefined,
    );
    report("replica-crash", results, {
      streamsInFlightOnVictim: inFlightOnVictim,
      exposedAtKill: exposed.length,
      runnersBefore: runners.length,
      runnersLeft: runnersLeft.length,
    });
    for (const r of failed)
      console.log(
        `  failed: ${r.code}${r.detail ? ` (${r.detail})` : ""} status ${r.status} replica ${r.replica ?? "-"} started ${r.startedMs.toFixed(0)} ms ended ${r.endedMs.toFixed(0)} ms (kill at ${killMs.toFixed(0)} ms)`,
      );
    expect(runners.length).toBeGreaterThan(0);
    expect(runnersLeft).toEqual([]);
    for (const r of failed) expect(r.startedMs).toBeLessThan(killMs);
    expect(failed.length).toBeLessThanOrEqual(exposed.length);
    expect(lbSessions.length).toBeGreaterThan(0);
    await cluster.restart(victim);
    await cluster.waitLbStatus({ [victim.name]: "UP" });
  }, 300_000);

  it("5. keeps serving through a Redis outage, limits per replica meanwhile, and shares again once Redis is back", async () => {
    const [r1, r3] = [cluster.replicas[0] as Replica, cluster.replicas[2] as Replica];
    const stop = new AbortController();
    const load = runLoad({
      url: cluster.lbUrl,
      clients: 8,
      seconds: 120,
      signal: stop.signal,
      request: (c, i) =>
        i % 4 === 3
          ? {
              path: "/v1/embeddings",
              headers: bearer(`c${c}`),
              body: { model: "lfm2-tiny", input: [`outage ${c} ${i}`] },
            }
          : {
              path: "/v1/chat/completions",
              headers: bearer(`c${c}`),
              body: {
                model: "lfm2-tiny",
                messages: [{ role: "user", content: `outage ${c} ${i}` }],
                max_tokens: 24,
                temperature: 0.8,
              },
            },
    });
    let during: Awaited<ReturnType<typeof burst>>;
    let after: Awaited<ReturnType<typeof burst>>;
    let sharedAgainAfterMs = 0;
    // Each replica's Redis clients, as its /metrics reports them (rate limiter and cache).
    const connected = () =>
      Promise.all(
        cluster.replicas.map(async (r) => [
          await cluster.metric(r, "sluice_redis_connected", { client: "rate_limit" }),
          await cluster.metric(r, "sluice_redis_connected", { client: "cache" }),
        ]),
      );
    let connectedDuring: number[][] = [];
    try {
      expect(await connected()).toEqual(cluster.replicas.map(() => [1, 1]));
      await cluster.redis.proc.stop();
      during = await burst("c18");
      connectedDuring = await connected();
      const restartedAt = performance.now();
      const port = cluster.redis.port;
      cluster.redis = await startRedis(port);
      // Shared behaviour returns by itself: a result computed on r1 is a hit on r3.
      await waitFor("a cross-replica cache hit after Redis returned", 30_000, async () => {
        const body = JSON.stringify({
          model: "lfm2-tiny",
          messages: [{ role: "user", content: `after outage ${randomUUID()}` }],
          max_tokens: 8,
          temperature: 0,
        });
        const send = (r: Replica) =>
          fetch(`${r.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", ...bearer("probe") },
            body,
          });
        await send(r1);
        const before = await cluster.metric(r3, "sluice_cache_requests_total", {
          cache: "result",
          result: "hit",
        });
        await send(r3);
        const hit =
          (await cluster.metric(r3, "sluice_cache_requests_total", { cache: "result", result: "hit" })) >
          before;
        return hit ? true : undefined;
      });
      // Every replica's limiter reconnects on its own backoff (at most 2 s apart):
      // until it has, that replica still limits per replica, as documented.
      await waitFor("every replica's Redis clients connected again", 30_000, async () =>
        (await connected()).every(([rl, c]) => rl === 1 && c === 1) ? true : undefined,
      );
      sharedAgainAfterMs = performance.now() - restartedAt;
      after = await burst("c17");
    } finally {
      stop.abort();
    }
    const results = await load;
    const serverFailures = results.filter((r) => !r.ok && r.status !== 429);
    report("redis-outage", results, {
      allowedDuringOutage: during.allowed,
      globalBudgetDuring: Number(during.globalBudget.toFixed(1)),
      allowedAfterRestart: after.allowed,
      globalBudgetAfter: Number(after.globalBudget.toFixed(1)),
      sharedAgainAfterMs: Math.round(sharedAgainAfterMs),
    });
    expect(serverFailures).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
    // Operators see the outage on every replica's rate limiter and cache client.
    expect(connectedDuring).toEqual(cluster.replicas.map(() => [0, 0]));
    // Per replica while Redis is down (as documented): more than one shared budget, at most three.
    expect(during.allowed).toBeGreaterThan(Math.ceil(during.globalBudget) + 1);
    expect(during.allowed).toBeLessThanOrEqual(3 * Math.ceil(during.globalBudget) + 3);
    // Shared again after Redis returned, without restarting a replica.
    expect(after.allowed).toBeLessThanOrEqual(Math.ceil(after.globalBudget) + 1);
  }, 300_000);
});
