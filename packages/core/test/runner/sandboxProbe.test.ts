import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// probeBubblewrap caches its answer per process: each test loads a fresh copy
// of the module (and of the errors it throws) with the PATH it sets up.
async function freshSandbox() {
  vi.resetModules();
  const sandbox = await import("../../src/runtime/runner/sandbox.ts");
  const errors = await import("../../src/errors/index.ts");
  return { ...sandbox, errors };
}

const NOT_INSTALLED = "bwrap is not installed (Debian package `bubblewrap`)";

describe("bubblewrap detection", () => {
  const savedPath = process.env.PATH;
  const savedCwd = process.cwd();
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-bwrap-"));
  });
  afterEach(async () => {
    if (savedPath === undefined) delete process.env.PATH;
    else process.env.PATH = savedPath;
    process.chdir(savedCwd);
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in `bwrap` in `dir`: a shell script that logs each call's arguments to `calls`. */
  async function fakeBwrap(body: string, mode = 0o755): Promise<string> {
    const path = join(dir, "bwrap");
    await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${join(dir, "calls")}"\n${body}\n`);
    await chmod(path, mode);
    return path;
  }
  const calls = async () =>
    (await readFile(join(dir, "calls"), "utf8").catch(() => "")).split("\n").filter(Boolean);

  it("uses a bwrap that can create the runner's namespaces, probing it once per process", async () => {
    const path = await fakeBwrap("exit 0");
    process.env.PATH = `${join(dir, "missing")}:${dir}`;
    const { resolveRunnerSandbox, probeBubblewrap } = await freshSandbox();
    expect(resolveRunnerSandbox("auto")).toEqual({ active: "bwrap", bwrapPath: path });
    expect(resolveRunnerSandbox("bwrap")).toEqual({ active: "bwrap", bwrapPath: path });
    expect(probeBubblewrap()).toEqual({ path });
    expect(await calls()).toEqual([
      "--ro-bind / / --unshare-net --unshare-pid --unshare-ipc --die-with-parent --proc /proc true",
    ]);
  });

  it("never asks for bubblewrap when the sandbox is off", async () => {
    await fakeBwrap("exit 0");
    process.env.PATH = dir;
    const { resolveRunnerSandbox } = await freshSandbox();
    expect(resolveRunnerSandbox("off")).toEqual({ active: "none", reason: "runtime.sandbox is off" });
    expect(await calls()).toEqual([]);
  });

  it("falls back under auto and refuses under bwrap when bwrap is not installed", async () => {
    process.env.PATH = dir;
    const { resolveRunnerSandbox, errors } = await freshSandbox();
    expect(resolveRunnerSandbox("auto")).toEqual({ active: "none", reason: NOT_INSTALLED });
    let thrown: unknown;
    try {
      resolveRunnerSandbox("bwrap");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(errors.RunnerCrashedError);
    expect(thrown).toMatchObject({
      code: "RUNNER_CRASHED",
      retryable: false,
      message: `runtime.sandbox is bwrap but ${NOT_INSTALLED}`,
      details: { reason: NOT_INSTALLED },
    });
  });

  it("does not take a bwrap from a relative PATH entry", async () => {
    await fakeBwrap("exit 0");
    process.chdir(dir);
    process.env.PATH = ".";
    const { probeBubblewrap } = await freshSandbox();
    expect(probeBubblewrap()).toEqual({ error: NOT_INSTALLED });
    expect(await calls()).toEqual([]);
  });

  it("names what bwrap printed when it cannot create its namespaces", async () => {
    await fakeBwrap("echo 'bwrap: setting up uid map: Permission denied' >&2\nexit 1");
    process.env.PATH = dir;
    const { resolveRunnerSandbox, errors } = await freshSandbox();
    const reason = "bwrap cannot create its namespaces here: bwrap: setting up uid map: Permission denied";
    expect(resolveRunnerSandbox("auto")).toEqual({ active: "none", reason });
    expect(() => resolveRunnerSandbox("bwrap")).toThrow(errors.RunnerCrashedError);
    expect(await calls()).toHaveLength(1);
  });

  it("names the exit status when bwrap fails silently", async () => {
    await fakeBwrap("exit 3");
    process.env.PATH = dir;
    const { probeBubblewrap } = await freshSandbox();
    expect(probeBubblewrap()).toEqual({ error: "bwrap cannot create its namespaces here: exit 3" });
  });

  it("names the spawn error when bwrap cannot be executed", async () => {
    await fakeBwrap("exit 0", 0o644);
    process.env.PATH = dir;
    const { probeBubblewrap } = await freshSandbox();
    expect(probeBubblewrap()).toEqual({
      error: `bwrap cannot create its namespaces here: spawnSync ${join(dir, "bwrap")} EACCES`,
    });
    expect(await calls()).toEqual([]);
  });

  it("searches /usr/bin and /bin when PATH is unset", async () => {
    delete process.env.PATH;
    const { probeBubblewrap } = await freshSandbox();
    const installed = ["/usr/bin/bwrap", "/bin/bwrap"].find((p) => existsSync(p));
    const found = probeBubblewrap();
    if (installed === undefined) expect(found).toEqual({ error: NOT_INSTALLED });
    // Installed but unable to run here is reported, not taken.
    else if (found.path === undefined)
      expect(found.error).toMatch(/^bwrap cannot create its namespaces here: /);
    else expect(found).toEqual({ path: installed });
  });
});
