import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
// apps/server exports no entry point yet; its start function is what `sluice serve` runs.
import type { ServerEnv } from "../../server/src/env.ts";
import { type RunningServer, type ServeFlags, startServer } from "../../server/src/startServer.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
export const SCREENSHOTS = join(root, "test-results", "screenshots");
const CHROMIUM = "/usr/bin/chromium";

/** A free TCP port on 127.0.0.1 (the playground's origin must be known before the API starts, for CORS). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface Stack {
  server: RunningServer;
  playgroundUrl: string;
  /** A persistent context on a fresh profile directory (Playwright's way to pass --user-data-dir). */
  browser: BrowserContext;
  close(): Promise<void>;
}

/** The real server on lfm2-tiny, the built playground's standalone server, and Debian's chromium. */
export async function startStack(env: Partial<ServerEnv> = {}, flags: ServeFlags = {}): Promise<Stack> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer(
    {
      SLUICE_HOST: "127.0.0.1",
      SLUICE_PORT: 0,
      SLUICE_MODEL: "lfm2-tiny",
      SLUICE_LOG_LEVEL: "silent",
      SLUICE_CONTEXT_SIZE: 2048,
      SLUICE_SEQUENCES: 2,
      // One thread per runner: on a loaded machine two OpenMP threads wait on each other at
      // every op (stories260K measured here: 120 tokens in 0.4 s with one thread, 76 s with two).
      SLUICE_THREADS: 1,
      SLUICE_CORS_ORIGINS: origin,
      ...env,
    },
    flags,
    () => undefined,
  );
  let next: ChildProcess | undefined;
  let browser: BrowserContext | undefined;
  const profile = mkdtempSync(join(tmpdir(), "sluice-chromium-"));
  try {
    next = await startNext(port, server.url);
    browser = await launchChromium(profile);
  } catch (err) {
    next?.kill("SIGTERM");
    await server.shutdown(1000);
    throw err;
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const started = { next, browser };
  return {
    server,
    playgroundUrl: origin,
    browser,
    async close() {
      await started.browser.close().catch(() => undefined);
      started.next.kill("SIGTERM");
      await server.shutdown(2000);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The built playground's standalone server (what `pnpm start` and the image run). */
export const STANDALONE_SERVER = join(root, ".next", "standalone", "apps", "playground", "server.js");

export function startNext(port: number, apiUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [STANDALONE_SERVER], {
    cwd: dirname(STANDALONE_SERVER),
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_SLUICE_API_URL: apiUrl,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the playground did not become ready in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready in|✓ Ready/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the playground exited with ${code}:\n${output}`));
    });
  });
}

async function launchChromium(profile: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    // CI installs chromium (.ci/run); a machine without it must not pass silently there.
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: install the chromium package`);
    throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  }
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves the page at desktop and phone widths: `<name>-1280.png`, `<name>-390.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

export function removeScreenshots(): void {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
}

/**
 * A config file whose cascade has one tier, the default lfm2-tiny, accepting
 * any confidence: requests for model "auto" then leave decision traces.
 */
export function cascadeConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-config-"));
  const path = join(dir, "sluice.yaml");
  writeFileSync(
    path,
    "cascade:\n  enabled: true\n  tiers:\n    - model: lfm2-tiny\n      confidenceThreshold: 0\n",
  );
  return path;
}
