import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, GenerateEvent, GenerateParams, TokenLogprob } from "../../src/runtime/engine/Engine.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { RunnerEngineFactory } from "../../src/runtime/runner/index.ts";

type Done = Extract<GenerateEvent, { type: "done" }>;

async function run(
  engine: Engine,
  params: GenerateParams,
): Promise<{ done: Done; streamed: TokenLogprob[] }> {
  const streamed: TokenLogprob[] = [];
  for await (const event of engine.generate(params)) {
    if (event.type === "token") streamed.push(...(event.logprobs ?? []));
    else return { done: event, streamed };
  }
  throw new Error("no done event");
}

let inProcess: Engine;
let runner: Engine;
beforeAll(async () => {
  const modelPath = await ensureSynthModel({ preset: "lfm2-tiny" });
  const options = { modelPath, contextSize: 1024, sequences: 1, threads: 1 };
  inProcess = await new LlamaEngineFactory().load(options);
  // This file checks what crosses the IPC, not hang detection (crash.test.ts does): on a shared
  // 2-core machine under load a starved runner must not be replaced mid-comparison.
  runner = await new RunnerEngineFactory({ heartbeatTimeoutMs: 60_000 }).load(options);
});
afterAll(async () => {
  await inProcess?.dispose();
  await runner?.dispose();
});

describe("tool calls and logprobs across the runner IPC", () => {
  it("delivers the same forced tool calls as the in-process engine", async () => {
    const params: GenerateParams = {
      messages: [{ role: "user", content: "Weather?" }],
      tools: [
        {
          name: "get_weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string", maxLength: 8 } },
            required: ["city"],
          },
        },
      ],
      toolChoice: "required",
      parallelToolCalls: false,
      maxTokens: 120,
      temperature: 0,
    };
    const [a, b] = [await run(inProcess, params), await run(runner, params)];
    expect(a.done.stats.finishReason).toBe("tool_calls");
    expect(b.done.stats.finishReason).toBe("tool_calls");
    const strip = (d: Done) => d.toolCalls?.map(({ name, arguments: args }) => ({ name, args }));
    expect(strip(b.done)).toEqual(strip(a.done));
    expect(b.done.toolCalls?.[0]?.id).toMatch(/^call_/);
  });

  it("streams every token's logprobs once and repeats them all on the final event", async () => {
    const params: GenerateParams = {
      prompt: "The quick brown fox",
      maxTokens: 12,
      temperature: 0,
      logprobs: 3,
    };
    const [a, b] = [await run(inProcess, params), await run(runner, params)];
    expect(b.done.logprobs).toHaveLength(b.done.stats.generatedTokens);
    expect(b.streamed).toEqual(b.done.logprobs);
    expect(b.done.logprobs).toEqual(a.done.logprobs);
  });
});
