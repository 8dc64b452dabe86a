// After `next build`: completes the standalone server (.next/standalone) with
// the static assets Next leaves out of it (they are meant for a CDN; here the
// standalone server serves them itself), so that directory alone runs the
// playground: `node .next/standalone/apps/playground/server.js`.
import { cpSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const app = join(dirname(fileURLToPath(import.meta.url)), "..");
// outputFileTracingRoot is the workspace root, so the app sits at its workspace path inside.
const target = join(app, ".next", "standalone", "apps", "playground");
if (!existsSync(join(target, "server.js"))) {
  console.error(`standalone: ${target}/server.js is missing (is output: "standalone" set?)`);
  process.exit(1);
}
cpSync(join(app, ".next", "static"), join(target, ".next", "static"), { recursive: true });
if (existsSync(join(app, "public"))) cpSync(join(app, "public"), join(target, "public"), { recursive: true });
