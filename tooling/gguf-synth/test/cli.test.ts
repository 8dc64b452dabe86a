import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8" });
}

describe("sluice-synth CLI", () => {
  it("writes a model and prints its digest", async () => {
    const r = run("llama-tiny", "--out", join(dir, "ok.gguf"), "--seed", "3");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(await readdir(dir)).toEqual(["ok.gguf"]);
  });

  it.each([
    [["nope", "--out", "x.gguf"], /unknown preset "nope"/],
    [["lfm2-tiny", "--out", "x.gguf", "--type", "q3_k"], /unknown --type "q3_k"/],
    [["lfm2-tiny", "--out", "x.gguf", "--seed=-1"], /--seed must be a non-negative integer/],
    [["lfm2-tiny"], /missing --out/],
  ])("refuses %j with a clear message and no file", async (args, message) => {
    const before = await readdir(dir);
    const r = run(...args.map((a) => (a === "x.gguf" ? join(dir, a) : a)));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(await readdir(dir)).toEqual(before);
  });

  it("refuses an unwritable path without leaving a partial file", async () => {
    const r = run("lfm2-tiny", "--out", join(dir, "missing-dir", "x.gguf"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/does not exist/);
    const ro = run("lfm2-tiny", "--out", "/proc/x.gguf");
    expect(ro.status).not.toBe(0);
    expect(ro.stderr).toMatch(/cannot write|not writable/);
  });
});
