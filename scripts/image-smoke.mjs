// CI's proof of the production image without a container engine: stages the
// image's /app with the same script deploy/Dockerfile runs
// (scripts/stage-image.sh), boots it with the image's command and environment
// (a clean environment, API keys set, the models volume empty), and checks
// that /readyz answers 200, a chat completion succeeds with a key and the
// playground serves its pages. The staged tree lives outside the workspace, so
// nothing can resolve from the checkout. Both ports bind to 127.0.0.1 here
// (the image sets 0.0.0.0): this machine is shared.
// Needs `pnpm build` first. Usage: node scripts/image-smoke.mjs [--keep]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "sluice-image-"));
const app = join(work, "app");
const models = join(work, "models");
mkdirSync(models);
const started = Date.now();
const step = (what) => console.log(`image: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** Every symlink in the staged tree must stay inside it: the image holds nothing else. */
function checkSelfContained(dir) {
  const base = realpathSync(dir);
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isSymbolicLink()) {
        const target = resolve(dirname(path), readlinkSync(path));
        if (!target.startsWith(base)) throw new Error(`${path} points outside the image: ${target}`);
        statSync(path); // dangling links fail here
      } else if (entry.isDirectory()) walk(path);
    }
  };
  walk(base);
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result) return result;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s${last ? ` (${last})` : ""}`);
}

let child;
let output = "";
try {
  step("staging (scripts/stage-image.sh)");
  execFileSync(join(root, "scripts", "stage-image.sh"), [app], { stdio: "inherit" });
  checkSelfContained(app);
  // The image loads the addon the workspace runs: Sluice's patched build when the setup built
  // it (scripts/build-native.mjs), asked of the staged server's own @sluice/core.
  const workspacePatched =
    spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs"), "--check"]).status === 0;
  const probe = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      "const { describeHardware } = await import('@sluice/core'); console.log(JSON.stringify((await describeHardware({ gpu: false })).llamaCpp));",
    ],
    { cwd: join(app, "apps", "server"), env: { PATH: process.env.PATH, HOME: work }, encoding: "utf8" },
  );
  const addon = JSON.parse(probe.trim().split("\n").at(-1));
  if (addon.nativePatch !== workspacePatched)
    throw new Error(
      `the staged server's addon ${addon.nativePatch ? "has" : "lacks"} Sluice's native patch; the workspace's ${workspacePatched ? "has" : "lacks"} it (${JSON.stringify(addon)})`,
    );
  step(
    `addon: llama.cpp ${addon.release}, ${addon.build}, ${addon.nativePatch ? "with" : "without"} Sluice's native patch`,
  );
  const [port, playgroundPort] = [await freePort(), await freePort()];
  const key = "smoke-test-key-0123456789";
  // The image's ENV (deploy/Dockerfile), on loopback; PATH and HOME only from this machine.
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    NODE_ENV: "production",
    SLUICE_HOST: "127.0.0.1",
    SLUICE_PORT: String(port),
    SLUICE_PLAYGROUND_PORT: String(playgroundPort),
    SLUICE_MODELS_DIR: models,
    SLUICE_SYNTH_DIR: join(models, ".synth"),
    SLUICE_API_KEYS: `smoke:infer:${key}`,
    // No network in CI: the catalog default is not downloaded; the synthetic fallback serves.
    SLUICE_OFFLINE: "1",
    SLUICE_CONTEXT_SIZE: "1024",
    SLUICE_THREADS: "2",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  step("booting: node scripts/start.mjs --no-build (the image's CMD)");
  child = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    cwd: app,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const api = `http://127.0.0.1:${port}`;
  await until("/readyz 200", async () => (await fetch(`${api}/readyz`)).status === 200, 180_000);
  step("/readyz 200");
  const auth = { authorization: `Bearer ${key}` };
  const listed = await (await fetch(`${api}/v1/models`, { headers: auth })).json();
  const model = listed.data?.[0]?.id;
  if (typeof model !== "string") throw new Error(`/v1/models: ${JSON.stringify(listed)}`);
  const chat = await fetch(`${api}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Hello" }], max_tokens: 8 }),
  });
  const body = await chat.json();
  if (chat.status !== 200 || typeof body.choices?.[0]?.message?.content !== "string")
    throw new Error(`chat completion: ${chat.status} ${JSON.stringify(body)}`);
  step(`chat completion 200 (${body.usage?.completion_tokens} tokens from ${body.model})`);
  const unauthorized = await fetch(`${api}/v1/models`);
  if (unauthorized.status !== 401) throw new Error(`no key: expected 401, got ${unauthorized.status}`);
  for (const page of ["/", "/chat", "/models"]) {
    const res = await until(
      `playground ${page}`,
      async () => {
        const r = await fetch(`http://127.0.0.1:${playgroundPort}${page}`);
        return r.status === 200 ? r : undefined;
      },
      60_000,
    );
    const html = await res.text();
    if (!html.includes("/_next/static/")) throw new Error(`playground ${page} references no static assets`);
  }
  step("playground pages 200");
  step("passed");
} catch (err) {
  console.error(`image: FAILED: ${err instanceof Error ? err.message : err}\n--- output ---\n${output}`);
  process.exitCode = 1;
} finally {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        r();
      }, 30_000);
      child.once("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
  if (keep) console.log(`image: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
