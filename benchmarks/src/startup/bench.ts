// What the production build buys an operator, measured on the build itself
// (`pnpm build` first):
// - cli-startup: wall time of `sluice --help` from the compiled CLI (the
//   package's bin, dist/bin.js) against the same command from source through
//   tsx, median of BENCH_RUNS runs each (target < 300 ms compiled);
// - playground memory: resident memory of the playground's production server
//   (Next standalone) after every page and the scripts it references were
//   loaded once (target < 200 MB).
// Each figure is checked for correctness first: --help must list every
// command group, every page must answer 200.
// Run: pnpm --filter @sluice/benchmarks bench:startup   (writes results/startup.json)
// Env: BENCH_RUNS (default 10).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 10);
const compiledBin = join(root, "apps/server/dist/bin.js");
const sourceBin = join(root, "apps/server/src/bin.ts");
const standalone = join(root, "apps/playground/.next/standalone/apps/playground/server.js");
const GROUPS = ["serve", "models", "bench", "audit", "doctor"];

for (const file of [compiledBin, standalone])
  if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm build first`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Wall milliseconds of one `sluice --help`, after checking its output lists every group. */
function helpOnce(args: string[]): number {
  if (args.length === 0) return nodeOnce();
  const started = performance.now();
  const result = spawnSync(process.execPath, [...args, "--help"], { encoding: "utf8" });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`sluice --help exited ${result.status}: ${result.stderr}`);
  for (const group of GROUPS)
    if (!result.stdout.includes(group)) throw new Error(`sluice --help does not list ${group}`);
  return ms;
}

/** Wall milliseconds of `node -e 0`: what any Node CLI costs on this machine at this moment. */
function nodeOnce(): number {
  const started = performance.now();
  spawnSync(process.execPath, ["-e", "0"]);
  return performance.now() - started;
}

function cliStartup(label: string, args: string[]): { label: string; medianMs: number; samplesMs: number[] } {
  helpOnce(args); // warm the file cache
  const samplesMs = Array.from({ length: runs }, () => helpOnce(args));
  const medianMs = median(samplesMs);
  console.log(`cli-startup ${label.padEnd(10)} median ${medianMs.toFixed(0)} ms of ${runs}`);
  return { label, medianMs, samplesMs: samplesMs.map((x) => Math.round(x)) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Resident bytes of a process and its descendants (Linux /proc). */
function treeRss(pid: number): number {
  let bytes = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    bytes += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const child of children ? children.split(" ") : []) bytes += treeRss(Number(child));
    }
  } catch {
    // the process went away between reads
  }
  return bytes;
}

/** The playground's routes: every directory under src/app holding a page. */
function pages(): string[] {
  const app = join(root, "apps/playground/src/app");
  const out: string[] = [];
  const walk = (dir: string, route: string) => {
    if (existsSync(join(dir, "page.tsx"))) out.push(route || "/");
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory() && !e.name.startsWith("(") && !e.name.startsWith("_"))
        walk(join(dir, e.name), `${route}/${e.name}`);
  };
  walk(app, "");
  return out;
}

async function playgroundMemory(): Promise<{ rssMb: number; pages: string[]; assets: number }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [standalone], {
    cwd: dirname(standalone),
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_SLUICE_API_URL: "http://127.0.0.1:9",
    },
    stdio: "ignore",
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(base).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error("the playground did not start in 60 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    const routes = pages();
    const assets = new Set<string>();
    for (const route of routes) {
      const res = await fetch(base + route);
      if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
      for (const [, src] of (await res.text()).matchAll(/"(\/_next\/static\/[^"]+)"/g))
        assets.add(src as string);
    }
    for (const asset of assets) {
      const res = await fetch(base + asset);
      if (res.status !== 200) throw new Error(`${asset} answered ${res.status}`);
      await res.arrayBuffer();
    }
    const rssMb = treeRss(child.pid as number) / 2 ** 20;
    console.log(
      `playground production RSS ${rssMb.toFixed(0)} MB after ${routes.length} pages and ${assets.size} assets (target < 200 MB)`,
    );
    return { rssMb: Math.round(rssMb), pages: routes, assets: assets.size };
  } finally {
    child.kill("SIGTERM");
  }
}

// Measured side by side: a shared machine's load moves all three alike.
const node = cliStartup("node -e 0", []);
const compiled = cliStartup("compiled", [compiledBin]);
const tsx = cliStartup("tsx", ["--conditions=@sluice/source", "--import", "tsx", sourceBin]);
console.log(
  `cli-startup compiled ${compiled.medianMs.toFixed(0)} ms (target < 300 ms; ${(compiled.medianMs - node.medianMs).toFixed(0)} ms above bare node), tsx ${(tsx.medianMs / compiled.medianMs).toFixed(1)}x slower`,
);
const playground = await playgroundMemory();

const results = join(root, "benchmarks/results");
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, "startup.json"),
  `${JSON.stringify(
    {
      measuredAt: new Date().toISOString(),
      cliStartup: { node, compiled, tsx, targetMs: 300 },
      playground: { ...playground, targetMb: 200 },
    },
    null,
    2,
  )}\n`,
);
