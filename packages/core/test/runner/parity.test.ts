import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, describe, expect, it } from "vitest";
import type { Engine, EngineLoadOptions, GenerateParams } from "../../src/runtime/engine/Engine.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { RunnerEngineFactory, type RunnerLogRecord } from "../../src/runtime/runner/index.ts";
import { storiesPath } from "./helpers.ts";

const prompts = [
  "Once upon a time",
  "The little dog",
  "Lily and Ben went to the park and",
  "Tom had a red ball",
];

async function outputs(engine: Engine, params: Omit<GenerateParams, "prompt">): Promise<string[]> {
  const texts: string[] = [];
  for (const prompt of prompts) {
    let streamed = "";
    let final = "";
    for await (const event of engine.generate({ prompt, ...params })) {
      if (event.type === "token") streamed += event.text;
      else final = event.text;
    }
    expect(streamed).toBe(final);
    texts.push(final);
  }
  return texts;
}

const disposers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function bothModes(options: EngineLoadOptions, logs?: RunnerLogRecord[]): Promise<[Engine, Engine]> {
  const inProcess = await new LlamaEngineFactory().load(options);
  disposers.push(() => inProcess.dispose());
  const runner = await new RunnerEngineFactory({ logger: (r) => logs?.push(r) }).load(options);
  disposers.push(() => runner.dispose());
  return [inProcess, runner];
}

describe.skipIf(storiesPath === undefined)("runner mode parity", () => {
  it("produces the same greedy output as the in-process engine on stories260K", async () => {
    const logs: RunnerLogRecord[] = [];
    const options = { modelPath: storiesPath as string, contextSize: 512, sequences: 2, threads: 1 };
    const [inProcess, runner] = await bothModes(options, logs);
    const params = { maxTokens: 48, temperature: 0 };
    const expected = await outputs(inProcess, params);
    expect(expected.every((t) => t.length > 0)).toBe(true);
    expect(await outputs(runner, params)).toEqual(expected);
    expect(await runner.tokenize("Once upon a time")).toEqual(await inProcess.tokenize("Once upon a time"));
    // stories260K has unset special tokens: llama.cpp warns, and the warning reaches the host logger.
    expect(
      logs.some((r) => r.level === "warn" && r.source === "llama" && r.modelId === "stories260K.gguf"),
    ).toBe(true);
  });

  it("applies streamIntervalMs in a runner as in process, with the same streamed output", async () => {
    const options = { modelPath: storiesPath as string, contextSize: 512, sequences: 2, threads: 1 };
    const reference = await new LlamaEngineFactory().load(options);
    disposers.push(() => reference.dispose());
    const [inProcess, runner] = await bothModes({ ...options, streamIntervalMs: 30 });
    expect(reference.info.streamIntervalMs).toBe(0);
    expect(inProcess.info.streamIntervalMs).toBe(30);
    expect(runner.info.streamIntervalMs).toBe(30);
    const params = { maxTokens: 48, temperature: 0 };
    const expected = await outputs(reference, params);
    expect(await outputs(inProcess, params)).toEqual(expected);
    expect(await outputs(runner, params)).toEqual(expected);
  });

  it("produces the same greedy output and embeddings as the in-process engine on lfm2-tiny", async () => {
    const modelPath = await ensureSynthModel({ preset: "lfm2-tiny" });
    const [inProcess, runner] = await bothModes({ modelPath, contextSize: 256, sequences: 2, threads: 1 });
    const params = { maxTokens: 32, temperature: 0 };
    const expected = await outputs(inProcess, params);
    expect(await outputs(runner, params)).toEqual(expected);
    // Not streamed (native chunks in both modes), with a piece counter that stays in this process.
    let pieces = 0;
    const options = { stream: false, onPiece: () => pieces++ } as const;
    for (const [i, engine] of [inProcess, runner].entries()) {
      const events = [];
      for await (const e of engine.generate({ prompt: prompts[0] as string, ...params }, undefined, options))
        events.push(e);
      expect(events.map((e) => e.type)).toEqual(["done"]);
      expect(events[0]?.type === "done" && events[0].text).toBe(expected[0]);
      // The in-process engine reports the pieces it did not pass on; a runner counts its own.
      if (i === 0) expect(pieces).toBeGreaterThan(1);
    }
    const texts = ["a short text", "another one"];
    const [a, b] = [await inProcess.embed(texts), await runner.embed(texts)];
    expect(b).toHaveLength(2);
    expect(b[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(b[0] as Float32Array)).toEqual(Array.from(a[0] as Float32Array));
  });
});
