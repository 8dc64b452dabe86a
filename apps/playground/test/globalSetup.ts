import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Newest modification time under `dir` (sources and config that feed the build). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Builds the playground once for all browser tests (its standalone server
 * serves the build, as in production). A build newer than every source is
 * reused (CI's `pnpm build` step made it minutes earlier), so editing a test
 * does not cost a rebuild.
 */
export default function setup(): void {
  // Screenshots of this run only; every test file adds its own.
  rmSync(join(root, "test-results", "screenshots"), { recursive: true, force: true });
  const buildId = join(root, ".next", "standalone", "apps", "playground", ".next", "BUILD_ID");
  const sourcesChanged = Math.max(newest(join(root, "src")), statSync(join(root, "next.config.ts")).mtimeMs);
  if (existsSync(buildId) && statSync(buildId).mtimeMs > sourcesChanged) return;
  const started = Date.now();
  const result = spawnSync(process.execPath, [require_next(), "build"], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) throw new Error(`next build failed with exit code ${result.status}`);
  // The static assets the standalone server serves (what the package's build script adds).
  const standalone = spawnSync(process.execPath, [join(root, "scripts", "standalone.mjs")], {
    stdio: "inherit",
  });
  if (standalone.status !== 0)
    throw new Error(`scripts/standalone.mjs failed with exit code ${standalone.status}`);
  console.log(`playground: next build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function require_next(): string {
  return join(root, "node_modules", "next", "dist", "bin", "next");
}
