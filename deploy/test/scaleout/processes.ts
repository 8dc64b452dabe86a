import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";

/** The repository root (deploy/test/scaleout → three levels up). */
export const repoRoot = join(import.meta.dirname, "..", "..", "..");

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = (probe.address() as { port: number }).port;
  probe.close();
  await once(probe, "close");
  return port;
}

/** Thrown by a `waitFor` check to end the wait at once (the awaited thing can no longer happen). */
export class StopWaiting extends Error {}

/** Polls `check` every 100 ms until it returns a value, or throws after `ms` naming `what`. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check().catch((err: unknown) => {
      // A check that knows the wait is hopeless (a process exited) ends it at once.
      if (err instanceof StopWaiting) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process with this pid exists (signal 0 probes without sending). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of a process (the runner processes of a Sluice server). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** A child process with its output kept (the last 64 KB) for failure messages. */
export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startProc(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): Proc {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-65_536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    output: () => log,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** A real redis-server on 127.0.0.1, no persistence; restartable on the same port. */
export async function startRedis(port?: number): Promise<{ url: string; port: number; proc: Proc }> {
  const p = port ?? (await freePort());
  const proc = startProc(
    "redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    process.env,
  );
  await waitFor(`redis-server on ${p}`, 10_000, async () =>
    proc.output().includes("Ready to accept connections") ? true : undefined,
  );
  return { url: `redis://127.0.0.1:${p}`, port: p, proc };
}

/**
 * How a replica is started: the compiled server (`pnpm build`), as production
 * runs it. Outside CI, a checkout that was not built runs the TypeScript
 * sources through tsx instead; CI builds first and must test what ships.
 */
export function serverCommand(): { args: string[]; compiled: boolean } {
  const compiled = join(repoRoot, "apps", "server", "dist", "serveMain.js");
  if (existsSync(compiled)) return { args: [compiled], compiled: true };
  if (process.env.CI) throw new Error(`${compiled} is missing: CI runs \`pnpm build\` before the tests`);
  return {
    args: [
      "--conditions=@sluice/source",
      "--import",
      "tsx",
      join(repoRoot, "apps", "server", "src", "serveMain.ts"),
    ],
    compiled: false,
  };
}

/** Sends one command to HAProxy's runtime API (the stats socket) and returns its answer. */
export async function haproxyCommand(socket: string, command: string): Promise<string> {
  const conn = createConnection(socket);
  let answer = "";
  conn.on("data", (d) => {
    answer += d.toString();
  });
  await once(conn, "connect");
  conn.end(`${command}\n`);
  await once(conn, "close");
  return answer;
}

/** Server status per name in HAProxy's `show stat` for one backend (UP, DOWN, MAINT…). */
export async function haproxyStatus(socket: string, backend: string): Promise<Record<string, string>> {
  const csv = await haproxyCommand(socket, "show stat");
  const lines = csv.split("\n");
  const header = (lines[0] ?? "").replace(/^# /, "").split(",");
  const col = (name: string) => header.indexOf(name);
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    if (f[col("pxname")] !== backend) continue;
    const name = f[col("svname")] ?? "";
    if (name === "FRONTEND" || name === "BACKEND") continue;
    out[name] = (f[col("status")] ?? "").split(" ")[0] ?? "";
  }
  return out;
}
