import { existsSync, readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { freemem, totalmem } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  type ConfigProblem,
  type LoadedConfig,
  loadConfig,
  type SluiceConfig,
  sluiceConfigSchema,
} from "@sluice/config";
import { probeBubblewrap, type RunnerSandboxMode } from "@sluice/core";
import { isSluiceError } from "@sluice/core/errors";
import { createModelStore, fitModels, getCatalog } from "@sluice/core/models";
import { Command } from "commander";
import { envSchema, rawEnv } from "../env.ts";
import {
  budgetOf,
  type DoctorFacts,
  type DoctorProblem,
  diagnose,
  formatBytes,
  type HardwareFacts,
  type ModelFit,
} from "./doctorChecks.ts";

/** Where the command reads and writes; tests pass their own. */
export interface DoctorIo {
  /** Defaults to `process.stdout.write`. */
  out?: (text: string) => void;
  /** Called with the exit status: 0 without problems, 1 with. Defaults to setting `process.exitCode`. */
  exit?: (code: number) => void;
  /** Environment the config is read from. Defaults to the process environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths in the config. Defaults to `process.cwd()`. */
  cwd?: string;
}

const REDACTED = "redacted";

/** Variables the server or tooling reads directly (not config fields), so they are not typos. */
const SERVER_ONLY_ENV: ReadonlySet<string> = new Set([...Object.keys(envSchema.shape), "SLUICE_SYNTH_DIR"]);

/** Width the config section wraps at, so it stays readable in a terminal. */
const CONFIG_WIDTH = 110;

/**
 * The config, one block per section, as `field=value` pairs with secrets
 * replaced. A value set by a layer above `baseLayer` (another file, a
 * variable, a flag) names that layer.
 */
export function describeEffectiveConfig(
  config: SluiceConfig,
  sources: LoadedConfig["sources"],
  baseLayer?: string,
): string[] {
  const sections = new Map<string, string[]>();
  const walk = (value: unknown, path: string): void => {
    if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    if (Array.isArray(value) && value.some((v) => v !== null && typeof v === "object")) {
      for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`);
      return;
    }
    const source =
      sources.get(path.replace(/\[(\d+)\]/g, ".$1")) ?? sources.get(path.replace(/\[\d+\].*$/, ""));
    const from = source && source !== baseLayer ? ` (from ${source})` : "";
    const [section = path, ...rest] = path.split(".");
    const field = rest.length > 0 ? rest.join(".") : section;
    const pairs = sections.get(section) ?? [];
    pairs.push(`${field}=${JSON.stringify(redact(path, value))}${from}`);
    sections.set(section, pairs);
  };
  walk(config, "");
  const indent = Math.max(...[...sections.keys()].map((k) => k.length)) + 2;
  const lines: string[] = [];
  for (const [section, pairs] of sections) {
    let line = section.padEnd(indent);
    for (const pair of pairs) {
      if (line.trim().length > section.length && line.length + pair.length + 2 > CONFIG_WIDTH) {
        lines.push(line.trimEnd());
        line = " ".repeat(indent);
      }
      line += `${pair}  `;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function redact(path: string, value: unknown): unknown {
  if (/\.keys\[\d+\]\.(key|sha256)$/.test(path)) return REDACTED;
  if (path === "cache.redis.url" && typeof value === "string") {
    try {
      const url = new URL(value);
      if (url.password) url.password = REDACTED;
      return url.toString();
    } catch {
      return REDACTED;
    }
  }
  return value;
}

/** The container's memory limit (cgroup v2, then v1); undefined when unlimited or unknown. */
function cgroupMemoryLimit(): number | undefined {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const limit = Number(readFileSync(file, "utf8").trim());
      // v1 reports "no limit" as a number near 2^63.
      if (Number.isFinite(limit) && limit > 0 && limit < 2 ** 60) return limit;
    } catch {
      // Not this cgroup version, or not Linux.
    }
  }
  return undefined;
}

/** Free bytes on the volume of `dir`, or of its nearest existing parent (the store creates the directory). */
async function freeDisk(dir: string): Promise<number | undefined> {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    const s = await statfs(at);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** What `runtime.gpu` makes the server load, given what the binding found with `"auto"`. */
export function gpuInUse(setting: SluiceConfig["runtime"]["gpu"], detected: string | false): string {
  if (setting === false) return "CPU (runtime.gpu: false)";
  if (setting === "auto")
    return detected === false
      ? "CPU (runtime.gpu: auto, no GPU prebuilt usable)"
      : `${detected} (runtime.gpu: auto)`;
  return detected === setting
    ? `${setting} (runtime.gpu: ${setting})`
    : `nothing: runtime.gpu asks for ${setting}, which is not usable here, so start-up fails`;
}

async function probeHardware(
  gpu: SluiceConfig["runtime"]["gpu"],
): Promise<{ facts: HardwareFacts; lines: string[] }> {
  try {
    // The whole core (and the native binding) loads only for this command, not for every `sluice` call.
    const { describeHardware } = await import("@sluice/core");
    const hw = await describeHardware({ gpu: "auto" });
    const lines = [
      `CPU threads     ${hw.cpuMathCores} used by llama.cpp for math (physical cores), at most ${hw.maxThreads}`,
      `CPU features    ${hw.cpuFeatures.join(" ") || "none reported"}`,
      `GPU backend     ${hw.gpu === false ? "none (CPU only)" : hw.gpu}${hw.vram ? `, VRAM ${formatBytes(hw.vram.freeBytes)} free of ${formatBytes(hw.vram.totalBytes)}` : ""}; usable here: ${hw.supportedGpuTypes.join(", ") || "none"}`,
      `Server uses     ${gpuInUse(gpu, hw.gpu)}`,
      `llama.cpp       ${hw.llamaCpp.release} (${hw.llamaCpp.build}, ${hw.llamaCpp.nativePatch ? "with Sluice's native patch" : "without Sluice's native patch: concurrent requests and embeddings run slower; run scripts/setup.sh"})`,
    ];
    return {
      facts: { ok: true, gpu: hw.gpu, cpuMathCores: hw.cpuMathCores, maxThreads: hw.maxThreads },
      lines,
    };
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    return { facts: { ok: false, error: message }, lines: [`llama.cpp       failed to load: ${message}`] };
  }
}

function modelTable(fits: readonly ModelFit[]): string[] {
  const rows = fits.map((f) => [
    f.entry.id,
    f.entry.role,
    f.fileBytes === undefined ? "?" : `${f.path ? "" : "~"}${formatBytes(f.fileBytes)}`,
    f.needBytes === undefined ? "?" : `${f.exact ? "" : "~"}${formatBytes(f.needBytes)}`,
    f.fits === undefined ? "?" : f.fits ? "yes" : "no",
    f.path ? "yes" : "no",
  ]);
  const header = ["MODEL", "ROLE", "FILE", "NEEDS", "FITS", "PRESENT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [header, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/**
 * `sluice doctor [--config <file>]`: what the machine offers (CPU, threads,
 * GPU backend, RAM, disk of the models directory), the effective config
 * without secrets, which catalog models fit the memory budget, and every
 * problem found with its fix. Exits 0 without problems, 1 with.
 */
export function doctorCommand(io: DoctorIo = {}): Command {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code;
    });
  return new Command("doctor")
    .description("Check this machine and the configuration; print problems with their fixes")
    .option("--config <file>", "config file to check instead of config/ (default: $SLUICE_CONFIG)")
    .action(async (options: { config?: string }) => {
      const env = io.env ?? rawEnv();
      const cwd = io.cwd ?? process.cwd();
      let loaded: LoadedConfig | undefined;
      let configProblems: ConfigProblem[] = [];
      try {
        loaded = loadConfig({ env, cwd, ...(options.config ? { configFile: options.config } : {}) });
      } catch (error) {
        if (!isSluiceError(error) || error.code !== "CONFIG_INVALID") throw error;
        configProblems = (error.details.problems as ConfigProblem[] | undefined) ?? [
          { path: "(config)", expected: "a valid config", message: error.message },
        ];
      }
      const config = loaded?.config ?? sluiceConfigSchema.parse({});

      const { facts: hardware, lines: hardwareLines } = await probeHardware(config.runtime.gpu);
      const totalBytes = totalmem();
      const freeBytes = freemem();
      const limit = cgroupMemoryLimit();
      const budgetBytes = budgetOf(config, totalBytes, limit);
      const modelsDir = resolve(cwd, config.models.dir);
      const extraDirs = config.models.dirs.map((d) => resolve(cwd, d));
      const dirExists = existsSync(modelsDir);
      // Listing only stats files; it creates nothing, so a missing directory is reported, not made.
      const listed = await createModelStore({ modelsDir, extraDirs, catalog: getCatalog() }).list();
      const models = await fitModels(listed, {
        contextSize: config.runtime.contextSize,
        sequences: config.runtime.sequences,
        batchSize: config.runtime.batchSize,
        budgetBytes,
      });
      const diskFree = await freeDisk(modelsDir);
      const defaultPath = isAbsolute(config.models.default)
        ? config.models.default
        : resolve(cwd, config.models.default);
      const facts: DoctorFacts = {
        config,
        configProblems,
        ignoredEnv: (loaded?.ignoredEnv ?? []).filter((name) => !SERVER_ONLY_ENV.has(name)),
        hardware,
        memory: { totalBytes, freeBytes, budgetBytes },
        disk: {
          dir: modelsDir,
          exists: dirExists,
          ...(diskFree !== undefined ? { freeBytes: diskFree } : {}),
        },
        models,
        defaultIsFile: config.models.default.endsWith(".gguf") && existsSync(defaultPath),
        sandbox: sandboxFacts(config.runtime.sandbox),
      };
      const problems = diagnose(facts);
      out(render(facts, hardwareLines, loaded, limit, problems));
      exit(problems.length === 0 ? 0 : 1);
    });
}

function render(
  f: DoctorFacts,
  hardwareLines: string[],
  loaded: LoadedConfig | undefined,
  cgroupLimit: number | undefined,
  problems: DoctorProblem[],
): string {
  const c = f.config;
  const budgetSource =
    c.runtime.memoryBudgetBytes === "auto"
      ? "auto: half of the machine's memory"
      : "runtime.memoryBudgetBytes";
  const lines = [
    "Machine",
    ...hardwareLines.map((l) => `  ${l}`),
    `  RAM             ${formatBytes(f.memory.totalBytes)} total, ${formatBytes(f.memory.freeBytes)} free${cgroupLimit !== undefined ? `, container limit ${formatBytes(cgroupLimit)}` : ""}`,
    `  Disk            ${f.disk.freeBytes === undefined ? "unknown" : `${formatBytes(f.disk.freeBytes)} free`} for ${f.disk.dir}${f.disk.exists ? "" : " (not created yet)"}`,
    `  Sandbox         ${sandboxLine(c, f.sandbox)}`,
    `  Audit           ${c.telemetry.audit.enabled ? (c.telemetry.audit.hmacKeys.length > 0 ? `HMAC chain, key ${c.telemetry.audit.activeKeyId ?? c.telemetry.audit.hmacKeys[0]?.id}` : "sha256 chain without a key: tamper-evident against accidents only") : "off"}`,
    "",
    `Config (${loaded ? `files: ${loaded.files.length > 0 ? loaded.files.join(", ") : "none, built-in defaults"}` : "INVALID, defaults shown"}; secrets redacted)`,
    ...describeEffectiveConfig(c, loaded?.sources ?? new Map(), loaded?.files[0]).map((l) => `  ${l}`),
    "",
    `Models (memory budget ${formatBytes(f.memory.budgetBytes)}, ${budgetSource}; contextSize ${c.runtime.contextSize} × ${c.runtime.sequences} sequences; ~ = estimated from the catalog size)`,
    ...modelTable(f.models).map((l) => `  ${l}`),
    "",
    problems.length === 0 ? "Problems: none" : `Problems: ${problems.length}`,
    ...problems.flatMap((p, i) => [`  ${i + 1}. ${p.problem}`, `     fix: ${p.fix}`]),
  ];
  return `${lines.join("\n")}\n`;
}

/** What runners get here for the configured sandbox mode (never throws: `bwrap` that cannot run is a problem). */
function sandboxFacts(mode: RunnerSandboxMode): { active: "bwrap" | "none"; reason?: string } {
  if (mode === "off") return { active: "none", reason: "runtime.sandbox is off" };
  const found = probeBubblewrap();
  return found.path
    ? { active: "bwrap" }
    : { active: "none", reason: found.error ?? "bubblewrap unavailable" };
}

function sandboxLine(c: SluiceConfig, s: DoctorFacts["sandbox"]): string {
  if (c.runtime.mode !== "runner") return "none: runtime.mode is in-process (no runner processes)";
  if (s?.active === "bwrap")
    return "bubblewrap (no network, read-only model and code, private /tmp, minimal environment)";
  return `none, minimal environment only (${s?.reason ?? "not probed"})`;
}
