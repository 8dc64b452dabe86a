import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildGguf, LFM2_TINY, lfm2Spec } from "./fixtures/ggufFixture.ts";
import { type ModelServer, startModelServer } from "./fixtures/modelServer.ts";
import { cleanup, storeFor, tempDir, tempFilesIn, writeCatalogFile } from "./fixtures/storeHarness.ts";

const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const childScript = fileURLToPath(new URL("./fixtures/pullChild.ts", import.meta.url));
// About 5 MB: long enough to be caught mid-transfer when throttled.
const medium = buildGguf(lfm2Spec({ ...LFM2_TINY, embd: 128, ff: 512, vocab: 2048 }));
const mediumSha = createHash("sha256").update(medium).digest("hex");

interface ChildRun {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, [tsxCli, childScript, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (line.startsWith("{")) lines.push(JSON.parse(line));
    }
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("model store across processes", () => {
  let server: ModelServer;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startModelServer();
    server.files.set("/medium.gguf", medium);
  });
  afterAll(() => server.close());
  afterEach(async () => {
    server.requests.length = 0;
    server.bytesSent = 0;
    server.throttle = undefined;
    server.gate = undefined;
    await cleanup(dirs);
  });

  it("leaves no file at the final path when a pull is killed with SIGKILL, and the next pull succeeds", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const models = [{ id: "medium", uri: server.url("/medium.gguf") }];
    const catalog = await writeCatalogFile(dir, models);
    const modelsDir = join(dir, "models");
    server.throttle = { chunk: 16 * 1024, ms: 20 };

    const run = runChild([modelsDir, catalog, "medium", server.host]);
    await until(() => server.bytesSent > 256 * 1024, 60_000, "the child to be mid-download");
    run.child.kill("SIGKILL");
    expect(await run.exited).toBeNull();
    expect(server.bytesSent).toBeLessThan(medium.length);
    expect(existsSync(join(modelsDir, "medium.gguf"))).toBe(false);
    expect((await tempFilesIn(modelsDir)).length).toBeGreaterThan(0); // the crash left its temp file

    server.throttle = undefined;
    // The dead child's lock is taken over once it is this old (the child's refreshes stopped at the kill).
    const store = storeFor(modelsDir, server, models, { lockStaleMs: 4_000 });
    const resolved = await store.pull("medium");
    expect(resolved.sha256).toBe(mediumSha);
    expect(
      createHash("sha256")
        .update(await readFile(resolved.path))
        .digest("hex"),
    ).toBe(mediumSha);
    expect(await tempFilesIn(modelsDir)).toEqual([]);
    expect((await readdir(join(modelsDir, ".locks"))).filter((n) => n.endsWith(".lock"))).toEqual([]);
  });

  it("downloads once when two processes pull the same model at once, and both succeed", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const catalog = await writeCatalogFile(dir, [{ id: "medium", uri: server.url("/medium.gguf") }]);
    const modelsDir = join(dir, "models");
    server.throttle = { chunk: 256 * 1024, ms: 20 };
    const runs = [
      runChild([modelsDir, catalog, "medium", server.host]),
      runChild([modelsDir, catalog, "medium", server.host]),
    ];
    // Hold the server until both processes are up, so that their pulls overlap.
    server.gate = until(
      () => runs.every((r) => r.lines.some((l) => l.event === "ready")),
      60_000,
      "both children",
    );
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes).toEqual([0, 0]);
    const results = runs.map((r) => r.lines.find((l) => "ok" in l));
    expect(results.map((r) => r?.ok)).toEqual([true, true]);
    expect(results.map((r) => r?.sha256)).toEqual([mediumSha, mediumSha]);
    const downloads = runs.flatMap((r) => r.lines.filter((l) => l.event === "download-start"));
    expect(downloads).toHaveLength(1);
    const waits = runs.flatMap((r) => r.lines.filter((l) => l.event === "lock-wait"));
    expect(waits).toHaveLength(1);
    // One download in all: one probe and one GET of the whole file, nothing else.
    expect(server.counts()).toEqual({ probes: 1, infoGets: 1, rangeGets: 0, total: 2 });
  });
});
