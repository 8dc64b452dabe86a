/**
 * llama.cpp's own `llama-bench`, built from the llama.cpp source that
 * node-llama-cpp ships (`llama/gitRelease.bundle`), so Sluice's decode speed
 * can be divided by llama.cpp's on the same file, threads and commit. The
 * binary is cached under `<workspace>/.sluice/llama.cpp/` (git-ignored); a
 * first build takes 10+ minutes on 2 cores.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LlamaBench {
  path: string;
  /** Commit of the bundled llama.cpp source it was built from. */
  commit: string;
  /** node-llama-cpp's llama.cpp release tag (llama/llama.cpp.info.json). */
  release: string;
}

/** node-llama-cpp's `llama/` folder (its package exports no package.json, so walk up from its entry). */
function bundleDir(): string {
  let dir = dirname(createRequire(import.meta.url).resolve("node-llama-cpp"));
  while (!existsSync(join(dir, "llama", "llama.cpp.info.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("node-llama-cpp's llama/ folder not found");
    dir = parent;
  }
  return join(dir, "llama");
}

async function sh(cmd: string, args: string[], cwd?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} exited ${code}`)),
    );
  });
}

/**
 * `$SLUICE_LLAMA_BENCH` when set, else the cached build under `root/.sluice/llama.cpp`,
 * else a fresh build there when `build` is true (else undefined).
 */
export async function findLlamaBench(
  root: string,
  build: boolean,
  log: (l: string) => void,
): Promise<LlamaBench | undefined> {
  const llamaDir = bundleDir();
  const release = (JSON.parse(readFileSync(join(llamaDir, "llama.cpp.info.json"), "utf8")) as { tag: string })
    .tag;
  const dir = join(root, ".sluice", "llama.cpp");
  const src = join(dir, "src");
  const cached = join(dir, "build", "bin", "llama-bench");
  const path = process.env.SLUICE_LLAMA_BENCH ?? cached;
  if (!existsSync(path)) {
    if (!build) return undefined;
    log(`building llama-bench from ${join(llamaDir, "gitRelease.bundle")} (10+ min on 2 cores)…`);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(src)) await sh("git", ["clone", "-q", join(llamaDir, "gitRelease.bundle"), src]);
    await sh("cmake", [
      "-S",
      src,
      "-B",
      join(dir, "build"),
      "-DCMAKE_BUILD_TYPE=Release",
      "-DLLAMA_CURL=OFF",
      "-DLLAMA_BUILD_TESTS=OFF",
      "-DLLAMA_BUILD_EXAMPLES=OFF",
      "-DLLAMA_BUILD_SERVER=OFF",
      "-DLLAMA_BUILD_TOOLS=ON",
      "-DGGML_NATIVE=ON",
    ]);
    await sh("cmake", ["--build", join(dir, "build"), "--target", "llama-bench", "-j2"]);
  }
  const commit = existsSync(src)
    ? (await run("git", ["-C", src, "rev-parse", "--short=12", "HEAD"])).stdout.trim()
    : "unknown (SLUICE_LLAMA_BENCH)";
  return { path, commit, release };
}

/** Decode tokens/s (`tg`) of llama-bench on a model with these threads: mean over `reps` runs. */
export async function llamaBenchDecode(
  bench: LlamaBench,
  modelPath: string,
  threads: number,
  tokens: number,
  reps = 3,
): Promise<number> {
  const { stdout } = await run(
    bench.path,
    [
      "-m",
      modelPath,
      "-t",
      String(threads),
      "-p",
      "0",
      "-n",
      String(tokens),
      "-r",
      String(reps),
      "-o",
      "json",
    ],
    { maxBuffer: 1 << 24 },
  );
  const rows = JSON.parse(stdout) as Array<{ n_gen: number; avg_ts: number }>;
  const tg = rows.find((r) => r.n_gen === tokens);
  if (!tg) throw new Error(`llama-bench printed no tg${tokens} row`);
  return tg.avg_ts;
}

/**
 * llama.cpp's own batched-decoding scaling on this machine, the reference for
 * Sluice's: llama-batched-bench (built beside llama-bench from the same source
 * when missing) with `parallel` independent sequences of `prompt` + `tokens`
 * tokens, no sampling. Returns, per parallel count, generated tokens per
 * second of the whole run (prompts included, as Sluice's aggregate figure).
 */
export async function llamaBatchedThroughput(
  bench: LlamaBench,
  modelPath: string,
  threads: number,
  prompt: number,
  tokens: number,
  parallel: readonly number[],
): Promise<Map<number, number> | undefined> {
  const path = join(dirname(bench.path), "llama-batched-bench");
  if (!existsSync(path)) {
    const build = dirname(dirname(path));
    if (!existsSync(join(build, "CMakeCache.txt"))) return undefined;
    await sh("cmake", ["--build", build, "--target", "llama-batched-bench", "-j2"]);
  }
  const most = Math.max(...parallel);
  const { stdout } = await run(
    path,
    [
      "-m",
      modelPath,
      "-t",
      String(threads),
      "-c",
      String(most * 2 ** Math.ceil(Math.log2(prompt + tokens + 1))),
      "-npp",
      String(prompt),
      "-ntg",
      String(tokens),
      "-npl",
      parallel.join(","),
      "--output-format",
      "jsonl",
    ],
    { maxBuffer: 1 << 24 },
  );
  const rows = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { pl: number; tg: number; t: number });
  return new Map(rows.map((r) => [r.pl, (r.pl * r.tg) / r.t]));
}
