import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory the server was installed into: the nearest directory above
 * this module that holds `config/default.yaml` (the checkout's root in a
 * workspace, `/app` in the image), else the working directory. Relative paths
 * of the config (`models.dir`, `telemetry.audit.dir`) and the default
 * `config/` directory resolve against it, wherever the process was started.
 * Works the same from `src/` (tsx) and `dist/` (compiled).
 */
export function installRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "config", "default.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
