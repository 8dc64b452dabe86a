import { isIP } from "node:net";
import { type ConfigProblem, describeConfig, type SluiceConfig } from "@sluice/config";
import { getCatalog, type ModelFit } from "@sluice/core/models";
import { isPresetName } from "@sluice/gguf-synth";

export { approxFileBytes, approxNeedBytes, type ModelFit } from "@sluice/core/models";

/** A problem `sluice doctor` found and what to do about it. */
export interface DoctorProblem {
  problem: string;
  fix: string;
}

/** What the hardware probe found, or why it failed. */
export type HardwareFacts =
  | { ok: true; gpu: string | false; cpuMathCores: number; maxThreads: number }
  | { ok: false; error: string };

/** The catalog's default chat model, named in fixes. */
const getDefaultChatId = (): string => getCatalog().defaultModel("chat")?.id ?? "lfm2-350m-q8_0";

/** Everything the checks look at; gathered by the doctor command, built by hand in tests. */
export interface DoctorFacts {
  config: SluiceConfig;
  configProblems: readonly ConfigProblem[];
  ignoredEnv: readonly string[];
  hardware: HardwareFacts;
  memory: { totalBytes: number; freeBytes: number; budgetBytes: number };
  disk: { dir: string; exists: boolean; freeBytes?: number };
  models: readonly ModelFit[];
  /** The default model is a local file (a path rather than a catalog id). */
  defaultIsFile: boolean;
  /** The runner sandbox this machine gives the configured `runtime.sandbox`. Defaults to not probed. */
  sandbox?: { active: "bwrap" | "none"; reason?: string };
}

const GiB = 2 ** 30;
/** Room left on the models volume beyond a pending download: temp files, lock and records. */
const DISK_HEADROOM_BYTES = 512 * 2 ** 20;

export const formatBytes = (n: number): string =>
  n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`;

/**
 * The memory budget a config asks for: its number, or for `"auto"` half of the
 * physical memory (the container's limit when it is lower), as @sluice/config
 * documents it.
 */
export function budgetOf(config: SluiceConfig, totalBytes: number, cgroupLimitBytes?: number): number {
  const budget = config.runtime.memoryBudgetBytes;
  if (budget !== "auto") return budget;
  return Math.floor(0.5 * Math.min(totalBytes, cgroupLimitBytes ?? Number.POSITIVE_INFINITY));
}

/** Edit distance, for "did you mean" on misspelt fields. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] ?? 0;
}

/** The documented field a misspelt path most likely meant, if one is close. */
export function closestField(path: string): string | undefined {
  const known = describeConfig().map((f) => f.path.replace(/\[\]/g, ""));
  const prefixed = known.find((k) => k.startsWith(path));
  if (prefixed) return prefixed;
  let best: { path: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(path.toLowerCase(), k.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { path: k, d };
  }
  return best?.path;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** Every problem the facts show, each with its fix; empty when the machine and config are fine. */
export function diagnose(f: DoctorFacts): DoctorProblem[] {
  const out: DoctorProblem[] = [];
  const c = f.config;
  for (const p of f.configProblems) {
    const got = p.received === undefined ? "" : `, got ${JSON.stringify(p.received)}`;
    const meant = p.expected === "no such field" ? closestField(p.path) : undefined;
    out.push({
      problem: `config ${p.path}: expected ${p.expected}${got}${p.source ? ` (from ${p.source})` : ""} (CONFIG_INVALID)`,
      fix: `${meant ? `did you mean ${meant}? ` : ""}correct ${p.path} in ${p.source ?? "the config"}; the server refuses to start until then (docs/configuration.md)`,
    });
  }
  for (const name of f.ignoredEnv)
    out.push({
      problem: `environment variable ${name} names no setting and is ignored`,
      fix: "remove it, or spell the field as SLUICE_<SECTION>__<FIELD> (docs/configuration.md)",
    });

  const hw = f.hardware;
  if (!hw.ok) {
    out.push({
      problem: `the llama.cpp binding did not load: ${hw.error}`,
      fix: "run `pnpm install` so node-llama-cpp's prebuilt binary for this platform is installed",
    });
  } else {
    const threads = c.runtime.threads;
    if (threads !== "auto" && threads > hw.cpuMathCores)
      out.push({
        problem: `runtime.threads is ${threads} but llama.cpp found ${hw.cpuMathCores} physical cores; extra threads slow decoding down`,
        fix: `set runtime.threads to auto or at most ${hw.cpuMathCores}`,
      });
    const gpu = c.runtime.gpu;
    if (gpu !== "auto" && gpu !== false && hw.gpu !== gpu)
      out.push({
        problem: `runtime.gpu asks for ${gpu} but the binding runs on ${hw.gpu === false ? "the CPU" : hw.gpu}`,
        fix: `install node-llama-cpp's ${gpu} prebuilt (remove it from ignoredOptionalDependencies in pnpm-workspace.yaml, or build the image with the CUDA build argument), or set runtime.gpu to auto`,
      });
  }

  const { budgetBytes, freeBytes, totalBytes } = f.memory;
  if (budgetBytes > totalBytes)
    out.push({
      problem: `the memory budget (${formatBytes(budgetBytes)}) is more than the machine's memory (${formatBytes(totalBytes)})`,
      fix: `set runtime.memoryBudgetBytes below ${formatBytes(totalBytes)}, or to auto`,
    });
  else if (budgetBytes > freeBytes)
    out.push({
      problem: `the memory budget (${formatBytes(budgetBytes)}) is more than the free memory (${formatBytes(freeBytes)}); loads it admits may be OOM-killed`,
      fix: `free memory, or set runtime.memoryBudgetBytes to at most ${formatBytes(freeBytes)}`,
    });

  const dflt = f.models.find((m) => m.entry.id === c.models.default);
  if (
    !dflt &&
    !f.defaultIsFile &&
    !isPresetName(c.models.default) &&
    !/^(hf:|https:\/\/)/.test(c.models.default)
  )
    out.push({
      problem: `models.default "${c.models.default}" is neither a catalog model nor an existing file`,
      fix: "set models.default to a catalog id (`pnpm sluice models ls`), a GGUF path or an hf:/https URI",
    });
  if (isPresetName(c.models.default))
    out.push({
      problem: `models.default is ${c.models.default}, a generated model with synthetic weights: every answer is noise`,
      fix: `set models.default to a catalog model (\`pnpm sluice models pull ${getDefaultChatId()}\`), or to stories260K with models.dirs: [models/fixtures] for real text offline`,
    });
  if (dflt && !dflt.path && c.models.allowDownload)
    out.push({
      problem: `the default model ${dflt.entry.id} is not on disk: \`sluice serve\` downloads it at start, and without network serves the generated lfm2-tiny instead (synthetic weights: output is noise)`,
      fix: `run \`pnpm sluice models pull ${dflt.entry.id}\` on a machine with network (or copy the file into ${c.models.dir}); \`pnpm start\` also serves stories260K from models/fixtures for real text offline`,
    });
  if (dflt) {
    if (!dflt.path && !c.models.allowDownload)
      out.push({
        problem: `the default model ${dflt.entry.id} is not present and models.allowDownload is false`,
        fix: `run \`pnpm sluice models pull ${dflt.entry.id}\`, or allow downloads`,
      });
    if (dflt.needBytes !== undefined && dflt.needBytes > budgetBytes)
      out.push({
        problem: `the default model ${dflt.entry.id} needs ${formatBytes(dflt.needBytes)} with contextSize ${c.runtime.contextSize} × ${c.runtime.sequences} sequences, over the ${formatBytes(budgetBytes)} budget (OUT_OF_MEMORY_BUDGET)`,
        fix: "lower runtime.contextSize or runtime.sequences, pick a smaller model, or raise runtime.memoryBudgetBytes",
      });
    const maxContext = dflt.entry.contextLength;
    if (maxContext !== undefined && c.runtime.contextSize > maxContext)
      out.push({
        problem: `runtime.contextSize ${c.runtime.contextSize} is longer than ${dflt.entry.id} supports (${maxContext})`,
        fix: `set runtime.contextSize to at most ${maxContext}`,
      });
  }

  const pending = dflt && !dflt.path ? (dflt.fileBytes ?? 0) : 0;
  if (f.disk.freeBytes !== undefined && f.disk.freeBytes < pending + DISK_HEADROOM_BYTES)
    out.push({
      problem: `only ${formatBytes(f.disk.freeBytes)} free in ${f.disk.dir}${pending ? `; the default model needs ${formatBytes(pending)}` : ""}`,
      fix: "free disk space on the models volume or point models.dir at a larger one",
    });
  if (f.disk.freeBytes === undefined)
    out.push({
      problem: `the models directory ${f.disk.dir} and its parents cannot be read`,
      fix: "create it (`mkdir -p`) with write access for the user running Sluice, or change models.dir",
    });

  if (c.runtime.mode === "runner" && c.runtime.sandbox === "bwrap" && f.sandbox?.active === "none")
    out.push({
      problem: `runtime.sandbox is bwrap but ${f.sandbox.reason ?? "bubblewrap cannot run here"}; the server refuses to start`,
      fix: "install bubblewrap (`apt-get install bubblewrap`) and allow unprivileged user namespaces, or set runtime.sandbox to auto",
    });
  if (!isLoopback(c.server.host) && !c.auth.enabled)
    out.push({
      problem: `server.host is ${c.server.host} but auth is off: the server binds 127.0.0.1 instead, so it is unreachable from other machines`,
      fix: "enable auth with API keys (auth.enabled, SLUICE_API_KEYS), or bind 127.0.0.1",
    });
  return out;
}
