// Loaded with `--import` by a runner started from source (tsx) while
// NODE_V8_COVERAGE is set: records the JavaScript tsx produced for each of the
// workspace's TypeScript sources, which V8's coverage offsets refer to, so the
// coverage report (scripts/coverage-report.mjs) can map a runner's coverage
// back to the .ts files. Nothing is recorded otherwise, and a build never
// loads this file.
import { register } from "node:module";
import { join } from "node:path";

const dir = process.env.NODE_V8_COVERAGE;
if (dir) register("./coverageSourcesHooks.mjs", import.meta.url, { data: { dir: join(dir, "sources") } });
