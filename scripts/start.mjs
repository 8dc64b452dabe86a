// `pnpm start`: the Sluice server (127.0.0.1:8080) and the playground
// (127.0.0.1:3000) together. SLUICE_PORT, SLUICE_PLAYGROUND_PORT and
// SLUICE_MODEL override; without a model on disk and no network the server
// runs on the generated lfm2-tiny (synthetic weights: output is noise).
// Ctrl-C / SIGTERM stops both (the server drains in-flight requests first).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = process.env.SLUICE_PORT ?? "8080";
const playgroundPort = process.env.SLUICE_PLAYGROUND_PORT ?? "3000";
const apiUrl = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  SLUICE_PORT: port,
  SLUICE_PLAYGROUND_PORT: playgroundPort,
  NEXT_PUBLIC_SLUICE_API_URL: process.env.NEXT_PUBLIC_SLUICE_API_URL ?? apiUrl,
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
};

const children = [];
// Children lead their own process groups, so a terminal's Ctrl-C reaches only
// this script, which then stops them in order: the server alone (it drains its
// requests, then stops its runners), the playground with its whole group (next
// dev starts a server of its own).
function run(name, command, args, { cwd = root, group = false } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: "inherit", detached: true });
  child.killGroup = group;
  child.on("exit", (code, signal) => {
    console.log(`start: ${name} exited (${signal ?? code})`);
    // One side going away takes the other with it, so nothing is left running half-alive.
    stop(code ?? 0);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    try {
      if (child.killGroup) process.kill(-child.pid, "SIGTERM");
      else child.kill("SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  }
  process.exitCode = code;
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

run("server", process.execPath, ["--import", "tsx", join(root, "apps/server/src/serveMain.ts")]);

const playground = join(root, "apps/playground");
const hasApp =
  existsSync(join(playground, "package.json")) &&
  (existsSync(join(playground, "src/app")) || existsSync(join(playground, "app")));
if (hasApp) {
  console.log(
    `start: playground on http://127.0.0.1:${playgroundPort} (API ${env.NEXT_PUBLIC_SLUICE_API_URL})`,
  );
  // next itself rather than `pnpm dev`, which would not pass signals on.
  const next = join(playground, "node_modules", "next", "dist", "bin", "next");
  run("playground", process.execPath, [next, "dev", "--port", playgroundPort, "--hostname", "127.0.0.1"], {
    cwd: playground,
    group: true,
  });
} else {
  console.log("start: apps/playground has no app yet; starting the server only");
}
