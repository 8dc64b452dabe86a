// `pnpm start`: the Sluice server (127.0.0.1:8080) and the playground
// (127.0.0.1:3000) together, from the production build: compiled JavaScript
// for the server and its runner processes, Next's standalone server for the
// playground. Outputs that are missing are built first (`pnpm build`, cached
// by turbo); `--no-build` refuses to build instead (the image has no sources).
// `--dev` (`pnpm dev`) runs the sources instead: tsx and `next dev`, with hot reload.
//
// SLUICE_PORT, SLUICE_PLAYGROUND_PORT, SLUICE_HOST (both ports; the server
// itself stays on loopback without API keys) and SLUICE_MODEL override;
// without a model on disk and no network the server runs on the generated
// lfm2-tiny (synthetic weights: output is noise). Beside the default it
// serves stories260K from models/fixtures (a real trained model shipped in
// git), so the playground shows real text offline.
// Ctrl-C / SIGTERM stops both (the server drains in-flight requests first).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const port = process.env.SLUICE_PORT ?? "8080";
const playgroundPort = process.env.SLUICE_PLAYGROUND_PORT ?? "3000";
const host = process.env.SLUICE_HOST ?? "127.0.0.1";
const apiUrl = `http://127.0.0.1:${port}`;
const fixtures = join(root, "models", "fixtures");
const env = {
  ...process.env,
  // Added to, never replacing, directories and preloads the user set.
  SLUICE_MODEL_DIRS: [process.env.SLUICE_MODEL_DIRS, fixtures].filter(Boolean).join(":"),
  SLUICE_MODELS__PRELOAD: process.env.SLUICE_MODELS__PRELOAD ?? "[stories260K]",
  SLUICE_PORT: port,
  SLUICE_PLAYGROUND_PORT: playgroundPort,
  NEXT_PUBLIC_SLUICE_API_URL: process.env.NEXT_PUBLIC_SLUICE_API_URL ?? apiUrl,
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
};

const playground = join(root, "apps/playground");
const standalone = join(playground, ".next/standalone/apps/playground/server.js");
const serverMain = join(root, "apps/server/dist/serveMain.js");
const hasPlayground =
  existsSync(standalone) ||
  (existsSync(join(playground, "package.json")) &&
    (existsSync(join(playground, "src/app")) || existsSync(join(playground, "app"))));

/** Compiled outputs the production start needs: the server, every package it imports, the playground. */
function missingOutputs() {
  const missing = [serverMain, ...(hasPlayground ? [standalone] : [])].filter((f) => !existsSync(f));
  for (const group of ["packages", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pkg = join(dir, name);
      if (existsSync(join(pkg, "tsdown.config.ts")) && !existsSync(join(pkg, "dist/index.js")))
        missing.push(join(pkg, "dist/index.js"));
    }
  }
  return missing;
}

if (!dev) {
  const missing = missingOutputs();
  if (missing.length > 0) {
    if (args.has("--no-build") || !existsSync(join(root, "turbo.json"))) {
      console.error(
        `start: the build is incomplete and --no-build was given; missing:\n  ${missing.join("\n  ")}`,
      );
      process.exit(1);
    }
    console.log(`start: building (missing ${missing.length} output(s); \`pnpm build\`, cached by turbo)`);
    const built = spawnSync("pnpm", ["build"], { cwd: root, env, stdio: "inherit" });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}

const children = [];
// Children lead their own process groups, so a terminal's Ctrl-C reaches only
// this script, which then stops them in order: the server alone (it drains its
// requests, then stops its runners), the playground with its whole group (next
// dev starts a server of its own).
function run(name, command, commandArgs, { cwd = root, group = false, extraEnv = {} } = {}) {
  const child = spawn(command, commandArgs, {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: "inherit",
    detached: true,
  });
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

if (dev) {
  // Workspace packages resolve to their TypeScript sources under this condition (tsx has no tsconfig customConditions).
  run("server", process.execPath, [
    "--conditions=@sluice/source",
    "--import",
    "tsx",
    join(root, "apps/server/src/serveMain.ts"),
  ]);
} else {
  run("server", process.execPath, [serverMain]);
}

if (hasPlayground) {
  console.log(
    `start: playground on http://${host}:${playgroundPort} (API ${env.NEXT_PUBLIC_SLUICE_API_URL})${dev ? " [dev]" : ""}`,
  );
  if (dev) {
    // next itself rather than `pnpm dev`, which would not pass signals on.
    const next = join(playground, "node_modules", "next", "dist", "bin", "next");
    run("playground", process.execPath, [next, "dev", "--port", playgroundPort, "--hostname", host], {
      cwd: playground,
      group: true,
    });
  } else {
    run("playground", process.execPath, [standalone], {
      cwd: dirname(standalone),
      extraEnv: { PORT: playgroundPort, HOSTNAME: host, NODE_ENV: "production" },
    });
  }
} else {
  console.log("start: apps/playground has no app yet; starting the server only");
}
