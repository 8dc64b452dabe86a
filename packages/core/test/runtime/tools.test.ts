import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSynthModel, planModel, writePlannedModel } from "@sluice/gguf-synth";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, ToolDefinition } from "../../src/runtime/engine/index.ts";
import { renderChat } from "../../src/runtime/llama/chatPrompt.ts";
import { getSharedLlama, LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { LFM2_TOOL_MARKERS } from "../../src/runtime/tools/index.ts";
import { collect, TEST_LOAD } from "./models.ts";

/** A tool whose arguments a random-weight model can only get right under the grammar. */
const weather: ToolDefinition = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: {
      city: { type: "string", maxLength: 12 },
      unit: { enum: ["celsius", "fahrenheit"] },
      days: { type: "integer" },
      detail: { type: "object", properties: { hourly: { type: "boolean" } }, required: ["hourly"] },
    },
    required: ["city", "unit"],
    additionalProperties: false,
  },
};
const clock: ToolDefinition = { name: "now", parameters: { type: "object", properties: {} } };
const ajv = new Ajv();
const validWeather = ajv.compile(weather.parameters as object);

const factory = new LlamaEngineFactory();
let engine: Engine;
beforeAll(async () => {
  const path = await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" });
  // Tool lists are long in the synthetic byte-level tokenizer (about 3 tokens a word).
  engine = await factory.load({ modelPath: path, ...TEST_LOAD, contextSize: 2048 });
});
afterAll(() => engine?.dispose());

describe("tool calls on a random-weight LFM2 (grammar-enforced)", () => {
  it("answers tool choice required with calls whose arguments validate against the schema", async () => {
    for (const seed of [1, 2, 3]) {
      const { done, pieces } = await collect(
        engine.generate({
          messages: [{ role: "user", content: "Weather in Paris?" }],
          tools: [weather, clock],
          toolChoice: "required",
          maxTokens: 1500,
          temperature: 0.9,
          seed,
        }),
      );
      expect(done.stats.finishReason).toBe("tool_calls");
      expect(done.toolCalls?.length).toBeGreaterThan(0);
      for (const call of done.toolCalls ?? []) {
        expect(call.id).toMatch(/^call_[0-9a-f]{32}$/);
        expect(["get_weather", "now"]).toContain(call.name);
        if (call.name === "get_weather") expect(validWeather(call.arguments)).toBe(true);
        else expect(call.arguments).toEqual({});
      }
      // The markup never leaks into the streamed content.
      expect(pieces).toBe(done.text);
      expect(pieces).not.toContain(LFM2_TOOL_MARKERS.callStart);
    }
  });

  it("makes exactly one call to the named function when parallel calls are off", async () => {
    const { done } = await collect(
      engine.generate({
        messages: [{ role: "user", content: "Weather?" }],
        tools: [clock, weather],
        toolChoice: { name: "get_weather" },
        parallelToolCalls: false,
        maxTokens: 200,
        temperature: 1,
        seed: 7,
      }),
    );
    expect(done.toolCalls).toHaveLength(1);
    expect(done.toolCalls?.[0]?.name).toBe("get_weather");
    expect(validWeather(done.toolCalls?.[0]?.arguments)).toBe(true);
  });

  it("renders a history with an assistant call and a tool result, and answers it", async () => {
    const { done } = await collect(
      engine.generate({
        messages: [
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris", unit: "celsius" } }],
          },
          { role: "tool", toolCallId: "call_1", content: '{"temp": 21}' },
        ],
        tools: [weather],
        maxTokens: 8,
        temperature: 0,
      }),
    );
    expect(done.stats.generatedTokens).toBeGreaterThan(0);
    expect(done.stats.promptTokens).toBeGreaterThan(40);
  });

  it("reports top log-probabilities that agree with the greedily sampled token", async () => {
    const { done, pieces } = await collect(
      engine.generate({ prompt: "The quick brown fox", maxTokens: 6, temperature: 0, logprobs: 5 }),
    );
    const entries = done.logprobs ?? [];
    expect(entries).toHaveLength(done.stats.generatedTokens);
    for (const e of entries) {
      expect(e.top).toHaveLength(5);
      const logprobs = e.top.map((t) => t.logprob);
      expect([...logprobs].sort((a, b) => b - a)).toEqual(logprobs);
      // Greedy: the chosen token is the most likely one.
      expect(e.token).toBe(e.top[0]?.token);
      expect(e.logprob).toBeCloseTo(e.top[0]?.logprob as number, 6);
      expect(logprobs.reduce((s, l) => s + Math.exp(l), 0)).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(entries.map((e) => e.token).join("")).toBe(pieces);
  });
});

describe("an LFM2 GGUF whose template renders tools", () => {
  // LFM2's template shape: tools listed in the system turn, tool results as their own role.
  const template = [
    "{{- bos_token -}}",
    '{%- set ns = namespace(system_prompt="") -%}',
    '{%- if messages[0]["role"] == "system" -%}{%- set ns.system_prompt = messages[0]["content"] -%}{%- set messages = messages[1:] -%}{%- endif -%}',
    '{%- if tools -%}{%- set ns.system_prompt = ns.system_prompt + ("\\n" if ns.system_prompt else "") + "List of tools: <|tool_list_start|>[" -%}',
    '{%- for tool in tools -%}{%- set ns.system_prompt = ns.system_prompt + (tool | tojson) -%}{%- if not loop.last -%}{%- set ns.system_prompt = ns.system_prompt + ", " -%}{%- endif -%}{%- endfor -%}',
    '{%- set ns.system_prompt = ns.system_prompt + "]<|tool_list_end|>" -%}{%- endif -%}',
    '{%- if ns.system_prompt -%}{{- "<|im_start|>system\\n" + ns.system_prompt + "<|im_end|>\\n" -}}{%- endif -%}',
    '{%- for message in messages -%}{{- "<|im_start|>" + message["role"] + "\\n" -}}',
    '{%- if message["role"] == "tool" -%}{{- "<|tool_response_start|>" + message["content"] + "<|tool_response_end|>" -}}{%- else -%}{{- message["content"] -}}{%- endif -%}',
    '{{- "<|im_end|>\\n" -}}{%- endfor -%}',
    '{%- if add_generation_prompt -%}{{- "<|im_start|>assistant\\n" -}}{%- endif -%}',
  ].join("");
  const dir = mkdtempSync(join(tmpdir(), "sluice-lfm2-tools-"));
  const path = join(dir, "lfm2-tools.gguf");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("renders tools, calls and results through the GGUF's own template with the control tokens", async () => {
    const plan = planModel("lfm2-tiny", {
      type: "f32",
      extraControlTokens: Object.values(LFM2_TOOL_MARKERS),
    });
    plan.metadata = plan.metadata.map(([k, v]) =>
      k === "tokenizer.chat_template" ? [k, { type: "string", value: template }] : [k, v],
    );
    await writePlannedModel(plan, { out: path, seed: 0 });
    const llama = await getSharedLlama();
    const model = await llama.loadModel({ modelPath: path });
    try {
      const { tokens } = renderChat(
        model,
        [
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "c1", name: "now", arguments: {} }],
          },
          { role: "tool", content: "noon" },
        ],
        [clock],
      );
      const text = model.detokenize(tokens, true);
      expect(text).toBe(
        '<|startoftext|><|im_start|>system\nList of tools: <|tool_list_start|>[{"name": "now", "parameters": {"type": "object", "properties": {}}}]<|tool_list_end|><|im_end|>\n' +
          "<|im_start|>user\nWeather?<|im_end|>\n" +
          "<|im_start|>assistant\n<|tool_call_start|>[now()]<|tool_call_end|><|im_end|>\n" +
          "<|im_start|>tool\n<|tool_response_start|>noon<|tool_response_end|><|im_end|>\n" +
          "<|im_start|>assistant\n",
      );
      // Each marker is one control token, as in LFM2's real vocabulary.
      const listStart = model.tokenize(LFM2_TOOL_MARKERS.listStart, true);
      expect(listStart).toHaveLength(1);
      expect(tokens).toContain(listStart[0]);
    } finally {
      await model.dispose();
    }
  });

  it("parses a forced call that the model writes with the call-marker control tokens", async () => {
    const tools = await factory.load({ modelPath: path, ...TEST_LOAD, contextSize: 1024, sequences: 1 });
    try {
      const { done } = await collect(
        tools.generate({
          messages: [{ role: "user", content: "Weather in Paris?" }],
          tools: [weather],
          toolChoice: "required",
          maxTokens: 200,
          temperature: 0.8,
          seed: 4,
        }),
      );
      expect(done.stats.finishReason).toBe("tool_calls");
      expect(done.toolCalls?.[0]?.name).toBe("get_weather");
      expect(validWeather(done.toolCalls?.[0]?.arguments)).toBe(true);
    } finally {
      await tools.dispose();
    }
  });
});
