import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validateGgufFile } from "@sluice/core/models";
import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../src/cli.ts";
import { modelsCommand } from "../src/commands/models.ts";

const repoRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
// The bin from source: tsx's loader, workspace packages resolved to their sources.
const binPath = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const binArgs = ["--conditions=@sluice/source", "--import", "tsx", binPath];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the models command in this process with collected output. */
async function runInProcess(args: string[]): Promise<Run> {
  const result: Run = { code: null, stdout: "", stderr: "" };
  const program = buildCli([
    () =>
      modelsCommand({
        out: (t) => {
          result.stdout += t;
        },
        err: (t) => {
          result.stderr += t;
        },
        exit: (c) => {
          result.code = c;
        },
        progress: false,
      }),
  ]);
  await program.parseAsync(["node", "sluice", "models", ...args]);
  return result;
}

/** Runs a real process: `pnpm sluice …` from the repository root, or the package bin. */
function runProcess(command: string, args: string[]): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    const run: Run = { code: null, stdout: "", stderr: "" };
    child.stdout.on("data", (d: Buffer) => {
      run.stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      run.stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolvePromise({ ...run, code }));
  });
}

async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, at);
    b[0]! ^= 0x10;
    await handle.write(b, 0, 1, at);
  } finally {
    await handle.close();
  }
}

/** An offset inside the last tensor's data, far from the header. */
async function tensorDataOffset(path: string): Promise<number> {
  const summary = await validateGgufFile(path);
  return summary.dataOffset + Math.floor(summary.dataSize / 2);
}

describe("sluice models", () => {
  let dir: string;
  let server: Server;
  let host: string;
  let model: Buffer;
  let requests = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-cli-"));
    model = await readFile(await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }));
    server = createServer((req, res) => {
      requests++;
      if (req.url !== "/tiny.gguf") return void res.writeHead(404).end();
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      if (!m) return void res.writeHead(200, { "content-length": model.length }).end(model);
      const start = Number(m[1]);
      const end = m[2] ? Number(m[2]) : model.length - 1;
      res.writeHead(206, {
        "content-range": `bytes ${start}-${end}/${model.length}`,
        "accept-ranges": "bytes",
      });
      res.end(model.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const catalog = {
      version: 1,
      models: [
        {
          id: "tiny",
          name: "tiny",
          role: "chat",
          uri: `http://${host}/tiny.gguf`,
          architecture: "lfm2",
          license: "MIT",
        },
      ],
      synthetic: { presets: [] },
    };
    await writeFile(join(dir, "catalog.json"), JSON.stringify(catalog));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const common = () => [
    "--models-dir",
    join(dir, "models"),
    "--model-dirs",
    join(dir, "none"),
    "--catalog",
    join(dir, "catalog.json"),
    "--allow-insecure-host",
    host,
  ];

  it("pulls, lists, verifies and removes a model, warning when it pins a digest", async () => {
    const pulled = await runInProcess([...common(), "pull", "tiny"]);
    expect(pulled.code).toBe(0);
    const sha = createHash("sha256").update(model).digest("hex");
    expect(pulled.stdout).toContain(`sha256=${sha}`);
    expect(pulled.stderr).toMatch(/warning: tiny has no known digest; pinned sha256/);

    const listed = await runInProcess([...common(), "ls", "--json"]);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: "tiny", location: "models-dir" }]);
    const table = await runInProcess([...common(), "ls"]);
    expect(table.stdout).toMatch(/^ID\s+ROLE\s+ARCH/);

    const verified = await runInProcess([...common(), "verify", "tiny"]);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/^OK tiny /);

    const removed = await runInProcess([...common(), "rm", "tiny"]);
    expect(removed.stdout).toContain("removed ");
    const gone = await runInProcess([...common(), "verify", "tiny"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error MODEL_NOT_FOUND: /);
  });

  it("refuses a hostile reference with INVALID_INPUT and exit 1, without a request", async () => {
    const before = requests;
    for (const ref of ["../../etc/passwd", "file:///etc/passwd", `http://${host}/tiny.gguf`]) {
      const run = await runInProcess([...common().slice(0, 6), "pull", ref]);
      expect(run.code, ref).toBe(1);
      expect(run.stderr, ref).toMatch(/^error INVALID_INPUT: /);
    }
    expect(requests).toBe(before);
  });

  it("verifies a file by path through the package bin, and flags one flipped byte of tensor data", async () => {
    const path = join(dir, "copy.gguf");
    await writeFile(path, model);
    const sha = createHash("sha256").update(model).digest("hex");
    const ok = await runProcess(process.execPath, [
      ...binArgs,
      "models",
      "verify",
      "--path",
      path,
      "--sha256",
      sha,
    ]);
    expect(ok.stdout).toMatch(/^OK /);
    expect(ok.code).toBe(0);

    await flipByte(path, await tensorDataOffset(path));
    const bad = await runProcess(process.execPath, [
      ...binArgs,
      "models",
      "verify",
      "--path",
      path,
      "--sha256",
      sha,
    ]);
    expect(bad.stderr).toMatch(/error MODEL_CORRUPT: .*sha256 mismatch/);
    expect(bad.code).not.toBe(0);
  });

  const stories = requireModelFixture("stories260K.gguf");
  it.skipIf(stories === undefined)(
    "pnpm sluice models verify --path: OK for stories260K, MODEL_CORRUPT once a tensor byte flips (digest from the catalog)",
    async () => {
      const path = join(dir, "stories260K.gguf");
      await copyFile(stories!, path);
      const ok = await runProcess("pnpm", ["sluice", "models", "verify", "--path", path]);
      expect(ok.stdout).toMatch(/OK stories260K .*sha256=270cba1bd5109f42/);
      expect(ok.code).toBe(0);

      await flipByte(path, await tensorDataOffset(path));
      const bad = await runProcess("pnpm", ["sluice", "models", "verify", "--path", path]);
      expect(`${bad.stdout}${bad.stderr}`).toContain("MODEL_CORRUPT");
      expect(bad.code).not.toBe(0);
    },
  );
});
