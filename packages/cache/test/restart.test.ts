import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const worker = fileURLToPath(new URL("./fixtures/diskWorker.ts", import.meta.url));
let dir: string | undefined;

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function inChild(mode: "write" | "read", path: string, key: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", worker, mode, path, key], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("persistent tier across processes", () => {
  it("serves entries written by a process that has exited to a new process", async () => {
    dir = mkdtempSync(join(tmpdir(), "sluice-cache-restart-"));
    const path = join(dir, "cache.db");
    const key = randomBytes(32).toString("base64");
    const writer = await inChild("write", path, key);
    const reader = await inChild("read", path, key);
    expect(reader.pid).not.toBe(writer.pid);
    expect(reader.vec).toEqual([0.5, -1.25, 3]);
    expect(reader.gen).toEqual({ text: "written by another process", pid: writer.pid });
  });
});
