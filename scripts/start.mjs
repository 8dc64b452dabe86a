// Placeholder main job until the server lands: generate lfm2-tiny and stream from it.
import { spawnSync } from "node:child_process";

const r = spawnSync("pnpm", ["--silent", "synth", "demo"], { stdio: "inherit" });
process.exit(r.status ?? 1);
