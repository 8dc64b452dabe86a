import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSynthModel } from "@sluice/gguf-synth";
import {
  childPids,
  freePort,
  haproxyStatus,
  type Proc,
  repoRoot,
  StopWaiting,
  serverCommand,
  startProc,
  startRedis,
  waitFor,
} from "./processes.ts";

/** Rates every key of the cluster gets (one shared bucket per key through Redis). */
export const RATE = { requestsPerMinute: 600, burst: 20 } as const;
/** The API keys of the cluster: `c0`…`c19` (load clients) and `probe`; secrets are `secret-<id>`. */
export const KEY_IDS = [...Array.from({ length: 20 }, (_, i) => `c${i}`), "probe"];
export const bearer = (id: string) => ({ authorization: `Bearer secret-${id}` });

export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  proc: Proc;
}

/** Three Sluice replicas, Redis and HAProxy on 127.0.0.1, as deploy/haproxy/haproxy.cfg describes. */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), "sluice-scaleout-"));
  readonly stats = join(this.dir, "haproxy.sock");
  readonly replicas: Replica[] = [];
  redis!: { url: string; port: number; proc: Proc };
  haproxy!: Proc;
  lbUrl = "";
  compiled = false;
  #configFile = "";

  async start(): Promise<void> {
    // Generated once before the replicas start, so three processes don't race to write it.
    await ensureSynthModel({ preset: "lfm2-tiny" });
    this.redis = await startRedis();
    const cacheKey = randomBytes(32).toString("base64");
    this.#configFile = join(this.dir, "sluice.yaml");
    writeFileSync(
      this.#configFile,
      [
        "models: { default: lfm2-tiny }",
        // One thread per runner: three replicas share this machine's cores.
        "runtime: { mode: runner, contextSize: 1024, sequences: 4, threads: 1 }",
        `limits: { rateLimit: { enabled: true, requestsPerMinute: ${RATE.requestsPerMinute}, burst: ${RATE.burst} } }`,
        "cache:",
        // Generous: on a contended CI machine a slow Redis answer would skip (not fail) the shared tier.
        `  redis: { url: "${this.redis.url}", timeoutMs: 1000 }`,
        `  persistent: { enabled: false, keys: [{ id: k1, key: "${cacheKey}" }] }`,
        "",
      ].join("\n"),
    );
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries())
      this.replicas.push({
        name: `r${i + 1}`,
        port,
        url: `http://127.0.0.1:${port}`,
        proc: this.#spawn(port),
      });
    await Promise.all(this.replicas.map((r) => this.waitReady(r)));
    const lbPort = await freePort();
    this.lbUrl = `http://127.0.0.1:${lbPort}`;
    this.haproxy = startProc("haproxy", ["-db", "-f", join(repoRoot, "deploy", "haproxy", "haproxy.cfg")], {
      ...process.env,
      SLUICE_LB_BIND: `127.0.0.1:${lbPort}`,
      SLUICE_LB_STATS_SOCKET: this.stats,
      SLUICE_REPLICA_1: `127.0.0.1:${ports[0]}`,
      SLUICE_REPLICA_2: `127.0.0.1:${ports[1]}`,
      SLUICE_REPLICA_3: `127.0.0.1:${ports[2]}`,
    });
    await this.waitLbStatus({ r1: "UP", r2: "UP", r3: "UP" });
  }

  #spawn(port: number): Proc {
    const { args, compiled } = serverCommand();
    this.compiled = compiled;
    return startProc(process.execPath, args, {
      ...process.env,
      SLUICE_CONFIG: this.#configFile,
      SLUICE_HOST: "127.0.0.1",
      SLUICE_PORT: String(port),
      SLUICE_OFFLINE: "1",
      SLUICE_LOG_LEVEL: "warn",
      SLUICE_API_KEYS: KEY_IDS.map((id) => `${id}:infer:secret-${id}`).join(","),
      SLUICE_SHUTDOWN_DEADLINE_MS: "20000",
    });
  }

  /** Starts a stopped replica again on its port and waits until it is ready. */
  async restart(replica: Replica): Promise<void> {
    replica.proc = this.#spawn(replica.port);
    await this.waitReady(replica);
  }

  async waitReady(replica: Replica): Promise<void> {
    try {
      await waitFor(`${replica.name} /readyz 200`, 120_000, async () => {
        if (replica.proc.child.exitCode !== null) throw new StopWaiting(`${replica.name} exited`);
        const res = await fetch(`${replica.url}/readyz`);
        return res.status === 200 ? true : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; ${replica.name} printed:\n${replica.proc.output()}`);
    }
  }

  /** Waits until HAProxy's health checks show these states. */
  async waitLbStatus(want: Record<string, string>): Promise<void> {
    await waitFor(`HAProxy to see ${JSON.stringify(want)}`, 20_000, async () => {
      const now = await haproxyStatus(this.stats, "sluice");
      return Object.entries(want).every(([k, v]) => now[k] === v) ? true : undefined;
    });
  }

  /** Runner processes of a replica (its children). */
  runners(replica: Replica): number[] {
    return childPids(replica.proc.pid);
  }

  /** Sum of a metric's samples on one replica whose labels include `labels`. */
  async metric(replica: Replica, name: string, labels: Record<string, string> = {}): Promise<number> {
    const res = await fetch(`${replica.url}/metrics`, { headers: bearer("probe") });
    const text = await res.text();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-z_:]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const l = m[2] ?? "";
      if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  async stop(): Promise<void> {
    await this.haproxy?.stop();
    await Promise.all(this.replicas.map((r) => r.proc.stop("SIGKILL")));
    await this.redis?.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
