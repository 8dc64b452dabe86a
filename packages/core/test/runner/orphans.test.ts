import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, storiesPath, waitForExit, within } from "./helpers.ts";

const hostScript = join(import.meta.dirname, "fixtures", "host.mts");
const tsx = createRequire(import.meta.url).resolve("tsx");
let host: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  host?.kill("SIGKILL");
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(storiesPath === undefined)("runner process hygiene", () => {
  it("leaves no runner alive when its host is killed with SIGKILL, and runners inherit no host files", async () => {
    dir = mkdtempSync(join(tmpdir(), "sluice-orphan-"));
    const marker = join(dir, "marker");
    host = spawn(process.execPath, ["--import", tsx, hostScript, storiesPath as string, marker], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: host.stdout as NodeJS.ReadableStream });
    const first = new Promise<string>((resolve) => lines.once("line", resolve));
    const { runnerPid } = JSON.parse(await within(first, 60_000, "the host to start its runner")) as {
      runnerPid: number;
    };
    expect(isAlive(runnerPid)).toBe(true);

    // Node opens files close-on-exec, so the runner must not hold the host's marker file.
    const runnerFiles = readdirSync(`/proc/${runnerPid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${runnerPid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    expect(runnerFiles).not.toContain(marker);

    host.kill("SIGKILL");
    const goneAfterMs = await waitForExit(runnerPid, 5000);
    console.info(`runner ${runnerPid} exited ${goneAfterMs.toFixed(0)} ms after its host was killed`);
    expect(isAlive(runnerPid)).toBe(false);
  });
});
