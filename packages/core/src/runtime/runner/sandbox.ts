import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, parse } from "node:path";
import { fileURLToPath } from "node:url";
import { RunnerCrashedError } from "../../errors/index.ts";

/** Runner isolation asked for: `auto` uses bubblewrap when it works here, `bwrap` requires it, `off` never. */
export type RunnerSandboxMode = "auto" | "bwrap" | "off";

/** What a runner actually gets, and why. */
export interface RunnerSandboxStatus {
  /** `bwrap`: runners run inside bubblewrap; `none`: plain child processes (minimal environment only). */
  active: "bwrap" | "none";
  /** The bwrap binary, when active. */
  bwrapPath?: string;
  /** Why bubblewrap is not used (off by setting, not installed, cannot create namespaces here). */
  reason?: string;
}

let probe: { path?: string; error?: string } | undefined;

/**
 * Finds bubblewrap and runs it once with the namespaces runners use: an
 * installed bwrap may still fail where unprivileged user namespaces are
 * disabled (many containers). The answer is cached for the process.
 */
export function probeBubblewrap(): { path?: string; error?: string } {
  probe ??= findBubblewrap();
  return probe;
}

function findBubblewrap(): { path?: string; error?: string } {
  if (process.platform !== "linux") return { error: "bubblewrap is Linux-only" };
  const path = (process.env.PATH ?? "/usr/bin:/bin")
    .split(delimiter)
    .map((dir) => join(dir, "bwrap"))
    .find((candidate) => isAbsolute(candidate) && existsSync(candidate));
  if (path === undefined) return { error: "bwrap is not installed (Debian package `bubblewrap`)" };
  const run = spawnSync(
    path,
    [
      "--ro-bind",
      "/",
      "/",
      "--unshare-net",
      "--unshare-pid",
      "--unshare-ipc",
      "--die-with-parent",
      "--proc",
      "/proc",
      "true",
    ],
    {
      encoding: "utf8",
      timeout: 10_000,
    },
  );
  if (run.status === 0) return { path };
  const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim().slice(0, 300);
  return { error: `bwrap cannot create its namespaces here: ${why}` };
}

/**
 * Decides the sandbox of the runners from the setting and what this machine
 * allows. `bwrap` that cannot run throws; `auto` falls back and says why.
 */
export function resolveRunnerSandbox(mode: RunnerSandboxMode): RunnerSandboxStatus {
  if (mode === "off") return { active: "none", reason: "runtime.sandbox is off" };
  const found = probeBubblewrap();
  if (found.path) return { active: "bwrap", bwrapPath: found.path };
  if (mode === "bwrap")
    throw new RunnerCrashedError(`runtime.sandbox is bwrap but ${found.error}`, {
      retryable: false,
      details: { reason: found.error },
    });
  return { active: "none", reason: found.error ?? "bubblewrap unavailable" };
}

/** What one sandboxed runner may read. */
export interface SandboxView {
  /** The runner's entry module. */
  entryPath: string;
  /** Node flags of the child (a `--import` loader's file URL is resolved to its package). */
  execArgv: readonly string[];
  /** Model files, projectors, engine modules: bound read-only at the same path. */
  files: readonly string[];
}

/**
 * bubblewrap arguments for a runner: system libraries, Node, the code package
 * of the runner and its `node_modules` chain, and the listed files, all
 * read-only at their own paths; a private /tmp, /proc of a new PID namespace,
 * minimal /dev, no network namespace access, no IPC namespace, a new session.
 * Nothing else of the host's file system (config files and their secrets,
 * caches, the audit log, other models, home directories) exists inside.
 */
export function bwrapArguments(view: SandboxView): string[] {
  const args = [
    "--die-with-parent",
    "--new-session",
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--chdir",
    "/tmp",
  ];
  const bound = new Set<string>();
  const bind = (path: string, optional = true) => {
    if (!existsSync(path)) return;
    for (const p of new Set([path, realpathSync(path)])) {
      if (bound.has(p)) continue;
      bound.add(p);
      args.push(optional ? "--ro-bind-try" : "--ro-bind", p, p);
    }
  };
  for (const dir of ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"]) bind(dir);
  for (const file of ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"])
    bind(file);
  // CPU topology: llama.cpp sizes its thread pools from it.
  bind("/sys/devices/system/cpu");
  // Node itself, when installed outside /usr (nvm, a tarball).
  bind(dirname(dirname(realpathSync(process.execPath))));
  const packageRoot = packageRootOf(realpathSync(view.entryPath));
  bind(packageRoot);
  for (const dir of nodeModulesChain(packageRoot)) bind(dir);
  for (const arg of view.execArgv) if (arg.startsWith("file:")) bind(packageRootOf(fileURLToPath(arg)));
  for (const file of view.files) bind(file.startsWith("file:") ? fileURLToPath(file) : file, false);
  return args;
}

/** Nearest ancestor directory holding a package.json. */
function packageRootOf(path: string): string {
  let dir = dirname(path);
  while (!existsSync(join(dir, "package.json")) && dir !== parse(dir).root) dir = dirname(dir);
  return dir;
}

/** Every `node_modules` from `dir` up to the root: where Node resolves the runner's dependencies. */
function nodeModulesChain(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules");
    if (existsSync(candidate)) out.push(candidate);
    if (d === parse(d).root) return out;
  }
}
