import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InferenceFailedError, isSluiceError, OutOfMemoryBudgetError } from "../../errors/index.ts";
import type { Engine, EngineFactory, EngineInfo, EngineLoadOptions, GenerateEvent } from "../engine/index.ts";
import { ModelHost, type ModelHostOptions } from "./ModelHost.ts";
import type { ModelStateEvent } from "./types.ts";

/** A scripted engine: the host's logic is tested through the port, without inference. */
class ScriptedEngine implements Engine {
  readonly info: EngineInfo;
  disposed = false;
  failGenerate = false;
  constructor(path: string) {
    this.info = {
      modelPath: path,
      architecture: "test",
      contextSize: 64,
      sequences: 1,
      trainContextSize: 64,
      embeddingLength: 2,
      fileSize: 1,
    };
  }
  generate(): AsyncIterable<GenerateEvent> {
    const fail = this.failGenerate;
    return (async function* () {
      if (fail) throw new InferenceFailedError("scripted decode failure");
      yield {
        type: "done",
        text: "x",
        stats: {
          promptTokens: 1,
          generatedTokens: 1,
          timeToFirstTokenMs: 0,
          decodeMs: 0,
          finishReason: "length",
        },
      } as const;
    })();
  }
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map(() => new Float32Array(2));
  }
  async tokenize(): Promise<number[]> {
    return [1];
  }
  busySequences(): number {
    return 0;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

class ScriptedFactory implements EngineFactory {
  loads: EngineLoadOptions[] = [];
  engines: ScriptedEngine[] = [];
  failValidation = false;
  async load(options: EngineLoadOptions): Promise<Engine> {
    this.loads.push(options);
    const engine = new ScriptedEngine(options.modelPath);
    engine.failGenerate = this.failValidation;
    this.engines.push(engine);
    return engine;
  }
}

function makeHost(extra: Partial<ModelHostOptions> = {}) {
  const factory = new ScriptedFactory();
  const host = new ModelHost({
    engineFactory: factory,
    resolve: async (id) => ({ path: `/models/${id}.gguf`, sha256: "abc" }),
    policy: { retries: 0 },
    ...extra,
  });
  return { factory, host };
}

describe("ModelHost", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("loads once for concurrent acquirers and counts their references", async () => {
    const { factory, host } = makeHost();
    const [a, b] = await Promise.all([host.acquire("m"), host.acquire("m")]);
    expect(factory.loads).toHaveLength(1);
    expect(a.engine).toBe(b.engine);
    expect(host.models()[0]).toMatchObject({ modelId: "m", state: "ready", references: 2 });
    await a.release();
    await a.release();
    expect(host.models()[0]?.references).toBe(1);
    await b.release();
    await host.destroy();
  });

  it("unloads at zero references after the keep-alive, not before", async () => {
    const { factory, host } = makeHost({ keepAliveMs: 1_000 });
    {
      await using lease = await host.acquire("m");
      expect(lease.engine.disposed).toBe(false);
    }
    await vi.advanceTimersByTimeAsync(999);
    expect(factory.engines[0]?.disposed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(factory.engines[0]?.disposed).toBe(true);
    expect(host.health("m")).toBe("unloaded");
  });

  it("unloads at once when the keep-alive is 0", async () => {
    const { factory, host } = makeHost({ keepAliveMs: 0 });
    const lease = await host.acquire("m");
    await lease.release();
    expect(factory.engines[0]?.disposed).toBe(true);
    expect(host.models()).toHaveLength(0);
  });

  it("reuses a model acquired again within its keep-alive", async () => {
    const { factory, host } = makeHost({ keepAliveMs: 1_000 });
    await (await host.acquire("m")).release();
    await vi.advanceTimersByTimeAsync(500);
    const again = await host.acquire("m");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(factory.loads).toHaveLength(1);
    expect(again.engine.disposed).toBe(false);
    await again.release();
    await host.destroy();
  });

  it("emits loading then ready, and broken when the validation decode fails", async () => {
    const { factory, host } = makeHost();
    const events: ModelStateEvent[] = [];
    host.onStateChange((e) => events.push(e));
    await (await host.acquire("good")).release();
    factory.failValidation = true;
    const err = await host.acquire("bad").catch((e: unknown) => e);
    expect(isSluiceError(err) && err.code).toBe("INFERENCE_FAILED");
    expect(factory.engines[1]?.disposed).toBe(true);
    expect(events.map((e) => `${e.modelId}:${e.state}`)).toEqual([
      "good:loading",
      "good:ready",
      "bad:loading",
      "bad:broken",
    ]);
    expect(host.health("bad")).toBe("broken");
    await host.destroy();
  });

  it("marks a model degraded after a failed request and ready after a good one", async () => {
    const { factory, host } = makeHost();
    await expect(
      host.run("m", async () => {
        throw new InferenceFailedError("decode failed");
      }),
    ).rejects.toMatchObject({ code: "INFERENCE_FAILED" });
    expect(host.health("m")).toBe("degraded");
    await expect(host.run("m", async (engine) => engine.info.modelPath)).resolves.toBe("/models/m.gguf");
    expect(host.health("m")).toBe("ready");
    expect(factory.loads).toHaveLength(1);
    await host.destroy();
  });

  it("opens the breaker after repeated request failures on a loaded model and recovers after the half-open probe", async () => {
    const { host } = makeHost({ policy: { retries: 0, breakerThreshold: 3, halfOpenAfterMs: 2_000 } });
    const failing = vi.fn(async () => {
      throw new InferenceFailedError("decode failed");
    });
    for (let i = 0; i < 3; i++) await host.run("m", failing).catch(() => undefined);
    expect(host.health("m")).toBe("broken");
    await expect(host.run("m", failing)).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
    expect(failing).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(host.run("m", async () => "ok")).resolves.toBe("ok");
    expect(host.policy("m").state).toBe("closed");
    expect(host.health("m")).toBe("ready");
    await host.destroy();
  });

  it("drops an engine that died during a request, so the next request loads a fresh one", async () => {
    const { factory, host } = makeHost();
    await expect(
      host.run("m", async (engine) => {
        await engine.dispose();
        throw new InferenceFailedError("runner gone");
      }),
    ).rejects.toMatchObject({ code: "INFERENCE_FAILED" });
    expect(host.models()).toHaveLength(0);
    await host.run("m", async (engine) => expect(engine.disposed).toBe(false));
    expect(factory.loads).toHaveLength(2);
    await host.destroy();
  });

  it("asks admission before loading and releases the grant on unload", async () => {
    const release = vi.fn();
    const admit = vi.fn(async () => ({ release }));
    const { factory, host } = makeHost({ admit, keepAliveMs: 0 });
    await (await host.acquire("m")).release();
    expect(admit).toHaveBeenCalledWith(
      expect.objectContaining({ modelId: "m", path: "/models/m.gguf" }),
      expect.anything(),
    );
    expect(release).toHaveBeenCalledTimes(1);
    const refuse = makeHost({ admit: async () => Promise.reject(new OutOfMemoryBudgetError("no room")) });
    await expect(refuse.host.acquire("m")).rejects.toMatchObject({ code: "OUT_OF_MEMORY_BUDGET" });
    expect(refuse.factory.loads).toHaveLength(0);
    expect(factory.loads).toHaveLength(1);
  });

  it("unloads idle models least recently used first", async () => {
    const { factory, host } = makeHost();
    await (await host.acquire("old")).release();
    await vi.advanceTimersByTimeAsync(10);
    await (await host.acquire("new")).release();
    const held = await host.acquire("held");
    expect(await host.unloadIdle(1)).toBe(1);
    expect(factory.engines.map((e) => e.disposed)).toEqual([true, false, false]);
    await held.release();
    await host.destroy();
  });

  it("close refuses new leases, waits for held ones up to its deadline, then unloads; both close and destroy are idempotent", async () => {
    const { factory, host } = makeHost();
    const lease = await host.acquire("m");
    const closed = host.close(5_000);
    expect(host.close(5_000)).toBe(closed);
    await expect(host.acquire("m")).rejects.toMatchObject({ code: "DISPOSED" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(factory.engines[0]?.disposed).toBe(false);
    await lease.release();
    await closed;
    expect(factory.engines[0]?.disposed).toBe(true);
    await host.destroy();
    const stuck = makeHost();
    await stuck.host.acquire("m");
    const closing = stuck.host.close(2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await closing;
    expect(stuck.factory.engines[0]?.disposed).toBe(true);
  });

  it("rejects a negative keep-alive with a RangeError naming the value", () => {
    expect(() => makeHost({ keepAliveMs: -1 })).toThrow(/keepAliveMs.*-1/);
  });
});
