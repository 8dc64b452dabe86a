import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { InferenceFailedError, isSluiceError, ModelUnsupportedError } from "../../src/errors/index.ts";
import type {
  Engine,
  EngineFactory,
  EngineLoadOptions,
  GenerateEvent,
} from "../../src/runtime/engine/index.ts";
import { type RequestEndEvent, Runtime } from "../../src/runtime/host/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { TEST_LOAD, testModels } from "./models.ts";

const models = await testModels();
const llama = new LlamaEngineFactory();

/** A real factory that remembers its engines and can be told to fail the next loads. */
class RecordingFactory implements EngineFactory {
  loads = 0;
  failNext = 0;
  engines: Engine[] = [];
  async load(options: EngineLoadOptions, signal?: AbortSignal): Promise<Engine> {
    this.loads++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new ModelUnsupportedError("injected load failure");
    }
    const engine = await llama.load(options, signal);
    this.engines.push(engine);
    return engine;
  }
  get busy(): number {
    return this.engines.reduce((n, e) => n + (e.disposed ? 0 : e.busySequences()), 0);
  }
}

function codeOf(err: unknown): string | undefined {
  return isSluiceError(err) ? err.code : String(err);
}

describe.each(models)("runtime on $name", (m) => {
  let factory: RecordingFactory;
  let runtime: Runtime;
  const make = (extra: Partial<ConstructorParameters<typeof Runtime>[0]> = {}) =>
    new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
      keepAliveMs: 60_000,
      ...extra,
    });
  beforeAll(() => {
    factory = new RecordingFactory();
    runtime = make();
  });
  afterAll(async () => {
    await runtime.close();
  });

  it("runs 16 concurrent greedy requests on 4 sequences, never more than 4 at once, each equal to its solo run", async () => {
    const prompts = Array.from({ length: 16 }, (_, i) => `${m.prompt} ${i}`);
    const solo: string[] = [];
    for (const prompt of prompts)
      solo.push((await runtime.complete(m.name, { prompt, maxTokens: 16, temperature: 0 })).text);
    let maxBusy = 0;
    let maxRunning = 0;
    const together = await Promise.all(
      prompts.map(async (prompt) => {
        let text = "";
        for await (const e of runtime.generate(m.name, { prompt, maxTokens: 16, temperature: 0 })) {
          maxBusy = Math.max(maxBusy, factory.busy);
          maxRunning = Math.max(maxRunning, runtime.scheduler.stats(m.name).running);
          if (e.type === "done") text = e.text;
        }
        return text;
      }),
    );
    expect(together).toEqual(solo);
    expect(maxBusy).toBeLessThanOrEqual(4);
    expect(maxRunning).toBe(4);
    expect(factory.loads).toBe(1);
    expect(factory.busy).toBe(0);
  });

  it("gives a non-streamed generation only its done event, with the text a stream joins to", async () => {
    const params = { prompt: m.prompt, maxTokens: 24, temperature: 0 };
    const engine = factory.engines[0] as Engine;
    const streamed: string[] = [];
    let streamedText = "";
    for await (const e of engine.generate(params))
      if (e.type === "token") streamed.push(e.text);
      else streamedText = e.text;
    expect(streamed.length).toBeGreaterThan(1);
    expect(streamed.join("")).toBe(streamedText);
    const types: string[] = [];
    let text = "";
    for await (const e of engine.generate(params, undefined, { stream: false })) {
      types.push(e.type);
      if (e.type === "done") text = e.text;
    }
    expect(types).toEqual(["done"]);
    expect(text).toBe(streamedText);
    expect(engine.busySequences()).toBe(0);
  });

  it("answers a non-streamed request (native chunks) as its stream, sampled, with confidence and logprobs", async () => {
    // A lone non-streamed request generates in native chunks (runGeneration's nativeChunksFor);
    // a stream goes token by token through the dispatcher. Both must sample the same tokens.
    for (const params of [
      { prompt: m.prompt, maxTokens: 40, temperature: 0.9, seed: 11 },
      { prompt: m.prompt, maxTokens: 24, temperature: 0, confidence: true, logprobs: 3 },
    ]) {
      let streamed: Extract<GenerateEvent, { type: "done" }> | undefined;
      for await (const e of runtime.generate(m.name, params)) if (e.type === "done") streamed = e;
      const complete = await runtime.complete(m.name, params);
      expect(streamed).toBeDefined();
      const reference = streamed as Extract<GenerateEvent, { type: "done" }>;
      expect(complete.text).toBe(reference.text);
      expect(complete.stats.generatedTokens).toBe(reference.stats.generatedTokens);
      if (params.confidence) {
        expect(complete.stats.confidence?.meanLogprob).toBeCloseTo(
          reference.stats.confidence?.meanLogprob as number,
          5,
        );
        expect(complete.logprobs?.length).toBe(reference.stats.generatedTokens);
        expect(complete.logprobs?.map((l) => [l.token, l.top.map((t) => t.token)])).toEqual(
          reference.logprobs?.map((l) => [l.token, l.top.map((t) => t.token)]),
        );
        for (const [i, l] of (complete.logprobs ?? []).entries())
          expect(l.logprob).toBeCloseTo(reference.logprobs?.[i]?.logprob as number, 5);
      }
    }
  });

  it("frees an aborted stream's sequence so a queued request starts", async () => {
    const long = { prompt: m.prompt, maxTokens: 200, temperature: 0.8, seed: 1 };
    // The four streams stop being read, so they hold their sequences until aborted:
    // the queued request can start only because the abort freed one.
    for (let trial = 0; trial < 3; trial++) {
      const controllers = Array.from({ length: 4 }, () => new AbortController());
      const iterators = controllers.map((c) =>
        runtime.generate(m.name, long, { signal: c.signal })[Symbol.asyncIterator](),
      );
      const queued = runtime
        .generate(m.name, { prompt: m.prompt, maxTokens: 2, temperature: 0 })
        [Symbol.asyncIterator]();
      try {
        // Read one token from each, then stop reading: backpressure keeps all four sequences busy.
        await Promise.all(iterators.map((it) => it.next()));
        expect(runtime.scheduler.stats(m.name).running).toBe(4);
        const firstOfQueued = queued.next();
        await vi.waitFor(() => expect(runtime.scheduler.stats(m.name).queued).toBe(1), { timeout: 1_000 });
        controllers[0]?.abort();
        await vi.waitFor(() => expect(runtime.scheduler.stats(m.name).queued).toBe(0), {
          timeout: 1_000,
          interval: 1,
        });
        expect((await firstOfQueued).done).toBe(false);
        expect(codeOf(await iterators[0]?.next().catch((e: unknown) => e))).toBe("ABORTED");
      } finally {
        for (const it of [queued, ...iterators]) await it.return?.();
      }
      await runtime.scheduler.idle();
      expect(factory.busy).toBe(0);
    }
  });

  it("fails a request past its deadline with TIMEOUT and frees its sequence", async () => {
    const it = runtime
      .generate(m.name, { prompt: m.prompt, maxTokens: 200, temperature: 0.8, seed: 2 }, { deadlineMs: 150 })
      [Symbol.asyncIterator]();
    await it.next();
    await runtime.scheduler.idle();
    expect(factory.busy).toBe(0);
    let err: unknown;
    try {
      for (;;) if ((await it.next()).done) break;
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe("TIMEOUT");
  });

  it("serves caller B's one request before caller A's 10th of 50", async () => {
    const order: string[] = [];
    const params = { prompt: m.prompt, maxTokens: 2, temperature: 0 };
    const jobs = Array.from({ length: 50 }, (_, i) =>
      runtime.complete(m.name, params, { caller: "A" }).then(() => order.push(`A${i + 1}`)),
    );
    jobs.push(runtime.complete(m.name, params, { caller: "B" }).then(() => order.push("B")));
    await Promise.all(jobs);
    expect(order.indexOf("B")).toBeLessThan(order.indexOf("A10"));
  });

  it("rejects bad input with INVALID_INPUT before any model work", async () => {
    const fresh = new RecordingFactory();
    const rt = new Runtime({
      engineFactory: fresh,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
    });
    const bad = [{ prompt: "" }, { prompt: m.prompt, topK: -1 }, { prompt: m.prompt, repeatPenalty: 9 }, {}];
    for (const params of bad)
      expect(codeOf(await rt.complete(m.name, params).catch((e: unknown) => e))).toBe("INVALID_INPUT");
    expect(codeOf(await rt.embed(m.name, []).catch((e: unknown) => e))).toBe("INVALID_INPUT");
    expect(fresh.loads).toBe(0);
    // Too long for the context: found by tokenizing, still before a sequence is taken.
    const tooLong = await rt.complete(m.name, { prompt: "word ".repeat(1000) }).catch((e: unknown) => e);
    expect(codeOf(tooLong)).toBe("INVALID_INPUT");
    expect(fresh.busy).toBe(0);
    expect(rt.host.policy(m.name).state).toBe("closed");
    expect(rt.host.health(m.name)).toBe("ready");
    await rt.close();
    await rt.close();
    expect(fresh.engines.every((e) => e.disposed)).toBe(true);
  });
});

describe.each(models)("request events on $name", (m) => {
  it("reports each request's outcome, queue wait and stats once", async () => {
    const events: RequestEndEvent[] = [];
    const rt = new Runtime({
      engineFactory: llama,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
      onRequestEnd: (e) => {
        events.push(e);
        throw new Error("a failing hook must not fail the request");
      },
    });
    await rt.complete(m.name, { prompt: m.prompt, maxTokens: 3, temperature: 0 }, { caller: "k1" });
    await rt.embed(m.name, ["a text"], undefined, { caller: "k2" });
    const controller = new AbortController();
    for await (const e of rt.generate(
      m.name,
      { prompt: m.prompt, maxTokens: 50 },
      { signal: controller.signal },
    ))
      if (e.type === "token") break;
    await rt.close();
    expect(events.map((e) => `${e.op}:${e.caller}:${e.outcome}`)).toEqual([
      "generate:k1:ok",
      "embed:k2:ok",
      "generate:anonymous:ABORTED",
    ]);
    expect(events[0]?.stats?.generatedTokens).toBe(3);
    expect(events.every((e) => e.queueWaitMs !== undefined && e.durationMs >= 0)).toBe(true);
  });
});

describe.each(models)("health on $name", (m) => {
  it("marks the model degraded after a failed request and ready again after a non-streaming success", async () => {
    // A real engine whose generate fails for one marked prompt: a model failure without a crash.
    const factory: EngineFactory = {
      async load(options: EngineLoadOptions, signal?: AbortSignal) {
        const engine = await llama.load(options, signal);
        const generate = engine.generate.bind(engine);
        return Object.assign(engine, {
          generate: (params: Parameters<Engine["generate"]>[0], s?: AbortSignal) => {
            if (params.prompt === "FAIL") throw new InferenceFailedError("injected decode failure");
            return generate(params, s);
          },
        });
      },
    };
    const rt = new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
      policy: { breakerThreshold: 3, retries: 0 },
    });
    const params = { prompt: m.prompt, maxTokens: 2, temperature: 0 };
    await rt.complete(m.name, params);
    expect(rt.host.health(m.name)).toBe("ready");
    const failed = await rt.complete(m.name, { ...params, prompt: "FAIL" }).catch((e: unknown) => e);
    expect(codeOf(failed)).toBe("INFERENCE_FAILED");
    expect(rt.host.health(m.name)).toBe("degraded");
    await rt.complete(m.name, params);
    expect(rt.host.health(m.name)).toBe("ready");
    expect(rt.host.policy(m.name).state).toBe("closed");
    await rt.close();
  });
});

describe.each(models)("shutdown on $name", (m) => {
  it("close refuses new requests, finishes in-flight ones, then unloads; destroy fails the rest at once", async () => {
    const factory = new RecordingFactory();
    const rt = new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
    });
    const params = { prompt: m.prompt, maxTokens: 12, temperature: 0, stop: [] };
    await rt.complete(m.name, params);
    const inFlight = rt.complete(m.name, params);
    const closed = rt.close(10_000);
    expect(codeOf(await rt.complete(m.name, params).catch((e: unknown) => e))).toBe("DISPOSED");
    expect((await inFlight).stats.generatedTokens).toBeGreaterThan(0);
    await closed;
    expect(factory.engines[0]?.disposed).toBe(true);

    const rt2 = new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
    });
    const it = rt2
      .generate(m.name, { prompt: m.prompt, maxTokens: 200, temperature: 0.8, seed: 3 })
      [Symbol.asyncIterator]();
    await it.next();
    await Promise.all([rt2.destroy(), rt2.destroy()]);
    expect(factory.engines[1]?.disposed).toBe(true);
    let err: unknown;
    try {
      for (;;) if ((await it.next()).done) break;
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe("DISPOSED");
  });
});

describe.each(models)("breaker on $name", (m) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("opens after 3 injected load failures, answers CIRCUIT_OPEN without loading, half-opens after 10 s, closes on success", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const factory = new RecordingFactory();
    factory.failNext = 3;
    const states: string[] = [];
    const rt = new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD, sequences: 1 }),
      policy: { breakerThreshold: 3, halfOpenAfterMs: 10_000, retries: 0 },
    });
    rt.host.policy(m.name).onStateChange((s) => states.push(s));
    const params = { prompt: m.prompt, maxTokens: 2, temperature: 0 };
    for (let i = 0; i < 3; i++)
      expect(codeOf(await rt.complete(m.name, params).catch((e: unknown) => e))).toBe("MODEL_UNSUPPORTED");
    expect(rt.host.health(m.name)).toBe("broken");
    expect(codeOf(await rt.complete(m.name, params).catch((e: unknown) => e))).toBe("CIRCUIT_OPEN");
    expect(factory.loads).toBe(3);
    vi.setSystemTime(Date.now() + 9_999);
    expect(codeOf(await rt.complete(m.name, params).catch((e: unknown) => e))).toBe("CIRCUIT_OPEN");
    vi.setSystemTime(Date.now() + 1);
    const ok = await rt.complete(m.name, params);
    expect(ok.stats.generatedTokens).toBeGreaterThan(0);
    expect(factory.loads).toBe(4);
    expect(states).toEqual(["open", "half-open", "closed"]);
    expect(rt.host.health(m.name)).toBe("ready");
    await rt.destroy();
  });
});
