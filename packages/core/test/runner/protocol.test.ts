import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidInputError, ModelNotFoundError } from "../../src/errors/index.ts";
import {
  type RunnerEngine,
  RunnerEngineFactory,
  type RunnerLogRecord,
} from "../../src/runtime/runner/index.ts";
import { storiesPath, within } from "./helpers.ts";

const engines: RunnerEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

async function load(factory = new RunnerEngineFactory()): Promise<RunnerEngine> {
  // One sequence: a request that did not free it would block the next one.
  const engine = await factory.load({
    modelPath: storiesPath as string,
    contextSize: 2048,
    sequences: 1,
    threads: 1,
  });
  engines.push(engine);
  return engine;
}

async function complete(engine: RunnerEngine, maxTokens = 16): Promise<string> {
  for await (const event of engine.generate({ prompt: "Once upon a time", maxTokens, temperature: 0 })) {
    if (event.type === "done") return event.text;
  }
  throw new Error("no done event");
}

describe.skipIf(storiesPath === undefined)("runner protocol", () => {
  it("revives a runner's load failure as the same typed error", async () => {
    const failure = await new RunnerEngineFactory()
      .load({ modelPath: "/nonexistent/model.gguf", contextSize: 256, threads: 1 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModelNotFoundError);
    expect(failure).toMatchObject({ code: "MODEL_NOT_FOUND", retryable: false });
  });

  it("revives request errors from the runner with their class", async () => {
    const engine = await load();
    const failure = await complete(engine, -5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(await complete(engine)).not.toBe("");
  });

  it("aborts a streaming generation mid-stream and frees the runner's sequence for an exact next answer", async () => {
    const engine = await load();
    const reference = await complete(engine);
    const controller = new AbortController();
    let tokens = 0;
    const failure = await (async () => {
      for await (const event of engine.generate(
        { prompt: "Once upon a time", maxTokens: 1500 },
        controller.signal,
      )) {
        if (event.type === "token" && ++tokens === 1) controller.abort();
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "ABORTED" });
    // Only tokens already on their way when the abort came may follow it; the runner stops decoding.
    expect(tokens).toBeLessThan(100);
    expect(engine.busySequences()).toBe(0);
    // The only sequence, reused: any state the aborted request left behind would change this answer.
    expect(await within(complete(engine), 10_000, "the next request on the only sequence")).toBe(reference);
  });

  it("cancels the runner's work when the consumer stops reading early", async () => {
    const engine = await load();
    const reference = await complete(engine);
    for await (const event of engine.generate({
      prompt: "Once upon a time",
      maxTokens: 1500,
      temperature: 0,
    })) {
      if (event.type === "token") break;
    }
    expect(await within(complete(engine), 10_000, "the next request on the only sequence")).toBe(reference);
  });

  it("streams tokens of concurrent requests to the right callers", async () => {
    const factory = new RunnerEngineFactory();
    const engine = await factory.load({
      modelPath: storiesPath as string,
      contextSize: 512,
      sequences: 3,
      threads: 1,
    });
    engines.push(engine);
    // Distinct lengths: a token delivered to the wrong caller changes a count or a text.
    // (Outputs vs solo runs are compared, near-tie aware, in test/fidelity.)
    const requests = [
      { prompt: "Once upon a time", maxTokens: 7 },
      { prompt: "The little dog", maxTokens: 13 },
      { prompt: "Tom had a red ball", maxTokens: 19 },
    ];
    const together = await Promise.all(
      requests.map(async (r) => {
        let streamed = "";
        for await (const e of engine.generate({ ...r, temperature: 0 })) {
          if (e.type === "token") streamed += e.text;
          else return { streamed, text: e.text, tokens: e.stats.generatedTokens };
        }
        throw new Error("no done event");
      }),
    );
    for (const [i, r] of together.entries()) {
      expect(r.tokens).toBe(requests[i]?.maxTokens);
      expect(r.streamed).toBe(r.text);
    }
  });

  it("delivers the runner's raw stdout and stderr to the host logger as records", async () => {
    const records: RunnerLogRecord[] = [];
    const engineModule = pathToFileURL(join(import.meta.dirname, "fixtures", "noisyEngineModule.ts")).href;
    const engine = await load(new RunnerEngineFactory({ engineModule, logger: (r) => records.push(r) }));
    const pid = engine.pid;
    await within(
      new Promise<void>((resolve) => {
        const poll = () => (records.some((r) => r.source === "stderr") ? resolve() : setTimeout(poll, 20));
        poll();
      }),
      5000,
      "the stderr line",
    );
    expect(records).toContainEqual({
      level: "warn",
      message: "noise on stderr",
      modelId: "stories260K.gguf",
      pid,
      source: "stderr",
    });
    expect(records).toContainEqual({
      level: "info",
      message: "noise on stdout",
      modelId: "stories260K.gguf",
      pid,
      source: "stdout",
    });
  });

  it("rejects invalid factory options with RangeError", () => {
    expect(() => new RunnerEngineFactory({ heartbeatIntervalMs: 0 })).toThrow(RangeError);
    expect(() => new RunnerEngineFactory({ restart: { maxCrashes: -1 } })).toThrow(RangeError);
  });
});
