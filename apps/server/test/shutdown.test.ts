import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { rawRequest } from "./helpers.ts";

const entry = fileURLToPath(new URL("../src/serveMain.ts", import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

/** Spawns `sluice` as a child process and resolves with its API URL from the start-up banner. */
async function spawnServer(): Promise<string> {
  child = spawn(process.execPath, ["--conditions=@sluice/source", "--import", "tsx", entry], {
    env: {
      ...process.env,
      SLUICE_PORT: "0",
      SLUICE_MODEL: "lfm2-tiny",
      SLUICE_MODELS_DIR: mkdtempSync(join(tmpdir(), "sluice-models-")),
      SLUICE_OFFLINE: "1",
      SLUICE_LOG_LEVEL: "warn",
      SLUICE_CONTEXT_SIZE: "2048",
      SLUICE_SEQUENCES: "2",
      SLUICE_THREADS: "1",
      SLUICE_SHUTDOWN_DEADLINE_MS: "60000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child?.stdout?.on("data", onData);
    child?.stderr?.on("data", onData);
    child?.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

describe("SIGTERM", () => {
  it("lets a stream in flight at SIGTERM finish, answers new requests with 503, and exits 0", async () => {
    const url = await spawnServer();
    const proc = child as ChildProcess;

    let streamed = "";
    let chunks = 0;
    let firstChunk: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      firstChunk = resolve;
    });
    const finished = new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}/v1/chat/completions`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            streamed += d;
            chunks++;
            firstChunk();
          });
          res.on("end", () => resolve(streamed));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(
        JSON.stringify({
          model: "lfm2-tiny",
          messages: [{ role: "user", content: "a long answer please" }],
          // Long enough (1000 tokens) to be mid-stream through the whole shutdown sequence below.
          max_tokens: 1000,
          stream: true,
        }),
      );
    });
    await started;

    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    // Readiness flips as soon as the signal is handled; bounded wait for it.
    let ready = await rawRequest(`${url}/readyz`, { method: "GET" });
    const deadline = Date.now() + 10_000;
    while (ready.status === 200 && Date.now() < deadline)
      ready = await rawRequest(`${url}/readyz`, { method: "GET" });
    expect(ready.status).toBe(503);
    // The server now knows it is shutting down, and the stream is still going.
    const chunksWhenDraining = chunks;

    const refused = await rawRequest(`${url}/v1/models`, { method: "GET" });
    expect(refused.status).toBe(503);
    expect(refused.json().error.code).toBe("DISPOSED");
    expect(refused.headers["retry-after"]).toBe("1");

    const body = await finished;
    expect(body.trim().endsWith("data: [DONE]")).toBe(true);
    expect(body).toContain('"finish_reason":"length"');
    // Tokens kept coming after shutdown began: the request was drained, not already done.
    expect(chunks).toBeGreaterThan(chunksWhenDraining);
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
