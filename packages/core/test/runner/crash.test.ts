import { copyFileSync, mkdtempSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ModelCorruptError } from "../../src/errors/index.ts";
import { validateGgufFile } from "../../src/models/index.ts";
import type { GenerateEvent } from "../../src/runtime/engine/Engine.ts";
import {
  type RunnerCrashEvent,
  type RunnerEngine,
  RunnerEngineFactory,
  type RunnerEngineFactoryOptions,
} from "../../src/runtime/runner/index.ts";
import { isAlive, storiesPath, waitForExit, within } from "./helpers.ts";

const prompt = "Once upon a time";
const engines: RunnerEngine[] = [];

async function load(options: RunnerEngineFactoryOptions = {}): Promise<RunnerEngine> {
  const factory = new RunnerEngineFactory({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 400, ...options });
  const engine = await factory.load({
    modelPath: storiesPath as string,
    contextSize: 2048,
    sequences: 2,
    threads: 1,
  });
  engines.push(engine);
  return engine;
}

async function complete(engine: RunnerEngine, maxTokens = 24): Promise<string> {
  let text = "";
  for await (const event of engine.generate({ prompt, maxTokens, temperature: 0 })) {
    if (event.type === "done") text = event.text;
  }
  return text;
}

/** Consumes a long generation, calling `onFirstToken` once; resolves with the error it ends with. */
async function failMidStream(
  engine: RunnerEngine,
  onFirstToken: () => void,
): Promise<{ error: unknown; afterMs: number }> {
  let firstAt = 0;
  try {
    for await (const event of engine.generate({
      prompt,
      maxTokens: 1800,
      temperature: 0,
    }) as AsyncIterable<GenerateEvent>) {
      if (event.type === "token" && firstAt === 0) {
        firstAt = performance.now();
        onFirstToken();
      }
    }
  } catch (error) {
    return { error, afterMs: performance.now() - firstAt };
  }
  throw new Error("generation finished although its runner was killed");
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

describe.skipIf(storiesPath === undefined)("runner supervisor", () => {
  it("fails a generation with RUNNER_CRASHED on a SIGKILL, restarts, and serves the next request as before", async () => {
    const engine = await load();
    const expected = await complete(engine);
    const pid = engine.pid as number;
    const crashes: RunnerCrashEvent[] = [];
    engine.on("crash", (event) => crashes.push(event));
    const restarted = new Promise((resolve) => engine.on("restarted", resolve));

    const { error, afterMs } = await failMidStream(engine, () => process.kill(pid, "SIGKILL"));
    console.info(`SIGKILL: request failed ${afterMs.toFixed(1)} ms after the kill`);

    expect(error).toMatchObject({ code: "RUNNER_CRASHED", retryable: true });
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ pid, signal: "SIGKILL", reason: "signal", inFlight: 1, crashes: 1 });
    expect(engine.state).toBe("restarting");
    await within(restarted, 15_000, "the restart");
    expect(engine.pid).not.toBe(pid);
    expect(await complete(engine)).toBe(expected);
    expect(engine.busySequences()).toBe(0);
  });

  it("queues requests made during a restart and serves them once the runner is back", async () => {
    const engine = await load();
    const expected = await complete(engine);
    const pid = engine.pid as number;
    const crashed = new Promise((resolve) => engine.on("crash", resolve));
    process.kill(pid, "SIGKILL");
    await within(crashed, 2000, "the crash event");
    const text = await within(complete(engine), 15_000, "a request made during the restart");
    expect(text).toBe(expected);
    expect(engine.pid).not.toBe(pid);
  });

  it("detects a stopped runner by its missed heartbeats, fails the request and replaces the runner", async () => {
    const engine = await load();
    const expected = await complete(engine);
    const pid = engine.pid as number;
    const crashes: RunnerCrashEvent[] = [];
    engine.on("crash", (event) => crashes.push(event));
    const restarted = new Promise((resolve) => engine.on("restarted", resolve));

    const { error, afterMs } = await failMidStream(engine, () => process.kill(pid, "SIGSTOP"));
    console.info(`SIGSTOP: request failed ${afterMs.toFixed(1)} ms after the stop`);

    expect(error).toMatchObject({
      code: "RUNNER_CRASHED",
      retryable: true,
      details: { reason: "heartbeat", pid },
    });
    expect(crashes[0]?.reason).toBe("heartbeat");
    await within(waitForExit(pid, 2000), 3000, "the hung runner to be killed");
    await within(restarted, 15_000, "the replacement runner");
    expect(engine.pid).not.toBe(pid);
    expect(await complete(engine)).toBe(expected);
  });

  it("marks the model broken after more crashes than allowed and fails requests without retry", async () => {
    const engine = await load({ restart: { maxCrashes: 1, initialDelayMs: 10 } });
    const broken = new Promise((resolve) => engine.on("broken", resolve));
    const restarted = new Promise((resolve) => engine.on("restarted", resolve));
    process.kill(engine.pid as number, "SIGKILL");
    await within(restarted, 15_000, "the first restart");
    process.kill(engine.pid as number, "SIGKILL");
    await within(broken, 5000, "the broken event");
    expect(engine.state).toBe("broken");
    await expect(complete(engine)).rejects.toMatchObject({ code: "RUNNER_CRASHED", retryable: false });
  });

  it("verifies the model file before reloading after a crash and refuses a corrupt one", async () => {
    const verified: string[] = [];
    const engine = await load({
      verify: async (path) => {
        verified.push(path);
        throw new ModelCorruptError(`sha256 mismatch for ${path}`);
      },
    });
    expect(verified).toEqual([]);
    const broken = new Promise((resolve) => engine.on("broken", resolve));
    process.kill(engine.pid as number, "SIGKILL");
    await within(broken, 5000, "the broken event");
    expect(verified).toEqual([storiesPath]);
    await expect(complete(engine)).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
  });

  it("refuses to reload a model file that was truncated while its runner ran", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-verify-"));
    try {
      const modelPath = join(dir, "stories260K.gguf");
      copyFileSync(storiesPath as string, modelPath);
      const factory = new RunnerEngineFactory({
        heartbeatIntervalMs: 50,
        verify: async (path) => void (await validateGgufFile(path)),
      });
      const engine = await factory.load({ modelPath, contextSize: 256, sequences: 1, threads: 1 });
      engines.push(engine);
      const broken = new Promise<unknown>((resolve) => engine.on("broken", (e) => resolve(e.error)));
      truncateSync(modelPath, 4096);
      process.kill(engine.pid as number, "SIGKILL");
      expect(await within(broken, 5000, "the broken event")).toMatchObject({ code: "MODEL_CORRUPT" });
      expect(engine.pid).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops its runner on dispose and rejects later calls with DISPOSED", async () => {
    const engine = await load();
    const pid = engine.pid as number;
    await engine.dispose();
    await engine.dispose();
    expect(isAlive(pid)).toBe(false);
    await expect(engine.generate({ prompt })[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: "DISPOSED",
    });
  });
});
