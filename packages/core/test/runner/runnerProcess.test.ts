import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DisposedError, RunnerCrashedError, type SluiceError } from "../../src/errors/index.ts";
import type { RunnerMessage } from "../../src/runtime/runner/protocol.ts";
import {
  type PendingRequest,
  type RunnerCrash,
  RunnerProcess,
  type RunnerProcessOptions,
} from "../../src/runtime/runner/RunnerProcess.ts";
import { readProcessRss } from "../../src/runtime/runner/readProcessRss.ts";
import { resolveRunnerSandbox } from "../../src/runtime/runner/sandbox.ts";
import { isAlive, waitForExit } from "./helpers.ts";

const stallModule = pathToFileURL(join(import.meta.dirname, "fixtures", "stallEngineModule.ts")).href;
const HELLO_MS = 60_000;
const LOAD = { modelPath: "/nonexistent/stall.gguf", contextSize: 64 };

const started: RunnerProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.kill()));
});

/** Starts a runner hosting the stall engine; records its crashes. */
async function start(options: Partial<RunnerProcessOptions> = {}) {
  const crashes: RunnerCrash[] = [];
  const runner = await RunnerProcess.start(
    {
      modelId: "stall",
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 30_000,
      engineModule: stallModule,
      onCrash: (crash) => crashes.push(crash),
      ...options,
    },
    HELLO_MS,
  );
  started.push(runner);
  return { runner, crashes };
}

/** A request handler that records how it ends. */
function recorder() {
  const failures: SluiceError[] = [];
  const pending: PendingRequest = { onMessage: () => {}, fail: (error) => failures.push(error) };
  return { pending, failures };
}

describe("runner process", () => {
  it("fails with RUNNER_CRASHED when the sandbox binary cannot be spawned", async () => {
    const crashes: RunnerCrash[] = [];
    const err = await RunnerProcess.start(
      {
        modelId: "stall",
        heartbeatIntervalMs: 50,
        heartbeatTimeoutMs: 30_000,
        engineModule: stallModule,
        sandbox: { active: "bwrap", bwrapPath: "/nonexistent/sluice-test/bwrap" },
        onCrash: (crash) => crashes.push(crash),
      },
      HELLO_MS,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerCrashedError);
    expect(err).toMatchObject({
      code: "RUNNER_CRASHED",
      message: "runner process failed to spawn",
      details: { file: "/nonexistent/sluice-test/bwrap" },
    });
    // The failed spawn's own error event must not reach the host as an uncaught exception.
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashes).toEqual([]);
  });

  it("refuses requests once the runner is gone, and fails in-flight ones as DISPOSED on a kill", async () => {
    const { runner, crashes } = await start();
    await runner.load(LOAD, HELLO_MS);
    const { pending, failures } = recorder();
    runner.send({ type: "tokenize", text: "never answered" }, pending);
    expect(runner.inFlight).toBe(1);
    await runner.kill();
    expect(runner.alive).toBe(false);
    expect(runner.inFlight).toBe(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(DisposedError);
    expect(failures[0]).toMatchObject({ code: "DISPOSED", message: "runner stopped" });
    // A stop the host asked for is not a crash.
    expect(crashes).toEqual([]);
    let thrown: unknown;
    try {
      runner.send({ type: "tokenize", text: "too late" }, recorder().pending);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RunnerCrashedError);
    expect(thrown).toMatchObject({
      code: "RUNNER_CRASHED",
      message: `runner ${runner.pid} is not running`,
      details: { pid: runner.pid },
    });
    expect(isAlive(runner.pid)).toBe(false);
  });

  it("kills a runner whose requests make no progress while its heartbeats go on", async () => {
    const { runner, crashes } = await start({ hangTimeoutMs: 300 });
    await runner.load(LOAD, HELLO_MS);
    const { pending, failures } = recorder();
    runner.send({ type: "generate", params: { prompt: "stuck", maxTokens: 4 } }, pending);
    await vi.waitFor(() => expect(crashes).toHaveLength(1), { timeout: 30_000, interval: 50 });
    expect(crashes[0]).toMatchObject({
      reason: "hang",
      pid: runner.pid,
      inFlight: 1,
      message: expect.stringMatching(/^runner made no progress on its requests for \d+ ms$/),
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(RunnerCrashedError);
    expect(failures[0]).toMatchObject({
      code: "RUNNER_CRASHED",
      details: { reason: "hang", pid: runner.pid },
    });
    await waitForExit(runner.pid, 10_000);
    expect(runner.alive).toBe(false);
    // The crash was reported once, not again for the exit the kill caused.
    expect(crashes).toHaveLength(1);
  });

  it("keeps a runner whose request moves without a message per token (stream false), and sends its text once", async () => {
    // 20 pieces 50 ms apart: a second, more than three times the hang timeout.
    const { runner, crashes } = await start({
      hangTimeoutMs: 300,
      engineOptions: { tokenEveryMs: 50, tokens: 20 },
    });
    await runner.load(LOAD, HELLO_MS);
    const messages: RunnerMessage[] = [];
    const failures: SluiceError[] = [];
    const finished = new Promise<void>((resolve) => {
      runner.send(
        { type: "generate", params: { prompt: "slow", maxTokens: 20 }, options: { stream: false } },
        {
          onMessage: (m) => {
            messages.push(m);
            if (m.type === "done") resolve();
          },
          fail: (e) => {
            failures.push(e);
            resolve();
          },
        },
      );
    });
    await finished;
    expect(failures).toEqual([]);
    expect(crashes).toEqual([]);
    const text = Array.from({ length: 20 }, (_, i) => `t${i} `).join("");
    expect(messages).toEqual([expect.objectContaining({ type: "done", text })]);

    // The same request streamed: a message per piece (the batcher joins only pieces under 2 ms apart).
    const streamed: RunnerMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      runner.send(
        { type: "generate", params: { prompt: "slow", maxTokens: 20 } },
        {
          onMessage: (m) => {
            streamed.push(m);
            if (m.type === "done") resolve();
          },
          fail: reject,
        },
      );
    });
    const pieces = streamed.filter((m) => m.type === "token");
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.map((m) => (m.type === "token" ? m.text : "")).join("")).toBe(text);
  });

  it("kills a runner that announces another protocol version and fails its requests", async () => {
    const { runner, crashes } = await start({ engineOptions: { foreignHello: true } });
    const err = await runner.load(LOAD, HELLO_MS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerCrashedError);
    expect(err).toMatchObject({
      code: "RUNNER_CRASHED",
      message: "protocol 999",
      details: { reason: "protocol", pid: runner.pid, exitCode: null, signal: null },
    });
    expect(crashes).toEqual([
      {
        reason: "protocol",
        pid: runner.pid,
        exitCode: null,
        signal: null,
        inFlight: 1,
        message: "protocol 999",
      },
    ]);
    await waitForExit(runner.pid, 10_000);
    expect(runner.alive).toBe(false);
  });

  it("reports the last heartbeat's memory figure once the process is gone", async () => {
    const beats: number[] = [];
    const { runner } = await start({ onHeartbeat: (rss) => beats.push(rss) });
    await vi.waitFor(() => expect(beats.length).toBeGreaterThan(0), { timeout: 30_000, interval: 20 });
    await runner.kill();
    expect(await readProcessRss(runner.pid)).toBeUndefined();
    expect(await runner.rssBytes()).toBe(beats.at(-1));
  });

  it("reports the memory of the runner inside bubblewrap, not of bwrap itself", async () => {
    const sandbox = resolveRunnerSandbox("bwrap");
    // The default engine module: nothing beyond the runner's own package is bound in.
    const { runner } = await start({ sandbox, engineModule: undefined });
    const wrapperRss = await readProcessRss(runner.pid);
    expect(wrapperRss).toBeGreaterThan(0);
    const rss = await runner.rssBytes();
    // A Node process with tsx loaded holds tens of MiB; bwrap a few.
    expect(rss).toBeGreaterThan(wrapperRss as number);
    expect(rss).toBeGreaterThan(20 * 1024 * 1024);
    await runner.stop(5_000);
    expect(runner.alive).toBe(false);
    // Stopping again is a no-op.
    await runner.stop(5_000);
    expect(isAlive(runner.pid)).toBe(false);
  });
});
