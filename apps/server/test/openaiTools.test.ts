import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { rawRequest, startTestServer } from "./helpers.ts";

let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  // Tool lists are long in the synthetic byte-level tokenizer (about 3 tokens a word).
  server = await startTestServer({ SLUICE_CONTEXT_SIZE: 2048 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused-without-keys", maxRetries: 0 });
});
afterAll(() => server?.shutdown(5000));

const parameters = {
  type: "object",
  properties: {
    city: { type: "string", maxLength: 12 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer" },
  },
  required: ["city", "unit"],
  additionalProperties: false,
};
const tools: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters } },
];
const validArguments = new Ajv().compile(parameters);
const ask: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];

describe("tool calling through the official openai client (random-weight LFM2, grammar-enforced)", () => {
  it("answers tool_choice required with a parsed call whose arguments validate", async () => {
    const completion = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: ask,
      tools,
      tool_choice: "required",
      parallel_tool_calls: false,
      max_tokens: 400,
      seed: 3,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const calls = choice?.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe("function");
    expect(call.function.name).toBe("get_weather");
    expect(validArguments(JSON.parse(call.function.arguments))).toBe(true);
  });

  it("streams the same kind of call as delta.tool_calls, ending with finish_reason tool_calls", async () => {
    const stream = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: ask,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 1200,
      seed: 5,
      stream: true,
    });
    const calls: Array<{ id?: string; name: string; args: string }> = [];
    let finish: string | null = null;
    let content = "";
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? "";
      for (const d of choice?.delta.tool_calls ?? []) {
        calls[d.index] ??= { name: "", args: "" };
        const slot = calls[d.index] as { id?: string; name: string; args: string };
        if (d.id) slot.id = d.id;
        slot.name += d.function?.name ?? "";
        slot.args += d.function?.arguments ?? "";
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(content).not.toContain("<|tool_call_start|>");
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.id).toMatch(/^call_/);
      expect(c.name).toBe("get_weather");
      expect(validArguments(JSON.parse(c.args))).toBe(true);
    }
  });

  it("renders a two-turn exchange with the call and its tool result, and answers it", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      ...ask,
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"temperature": 21}' },
    ];
    const answer = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages,
      tools,
      max_tokens: 6,
      temperature: 0,
    });
    expect(answer.choices[0]?.message.role).toBe("assistant");
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    // The history is rendered, not dropped: it costs prompt tokens beyond the question alone.
    const alone = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: ask,
      tools,
      max_tokens: 1,
      temperature: 0,
    });
    expect(answer.usage?.prompt_tokens).toBeGreaterThan((alone.usage?.prompt_tokens ?? 0) + 30);
  });
});

describe("logprobs", () => {
  it("returns 5 alternatives per token, the sampled token's probability among them (chat, greedy)", async () => {
    const completion = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 6,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    const content = completion.choices[0]?.logprobs?.content ?? [];
    expect(content).toHaveLength(completion.usage?.completion_tokens ?? -1);
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(5);
      const best = t.top_logprobs[0] as OpenAI.ChatCompletionTokenLogprob.TopLogprob;
      expect(t.token).toBe(best.token);
      expect(t.logprob).toBeCloseTo(best.logprob, 6);
      expect(t.top_logprobs.reduce((s, x) => s + Math.exp(x.logprob), 0)).toBeLessThanOrEqual(1 + 1e-6);
      expect(t.bytes).toEqual([...Buffer.from(t.token, "utf8")]);
    }
    expect(content.map((t) => t.token).join("")).toBe(completion.choices[0]?.message.content);
  });

  it("streams logprobs with each delta, and gives them on legacy completions", async () => {
    const stream = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: [{ role: "user", content: "Count" }],
      max_tokens: 5,
      temperature: 0,
      logprobs: true,
      top_logprobs: 2,
      stream: true,
    });
    let tokens = 0;
    for await (const chunk of stream) {
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) {
        tokens++;
        expect(t.top_logprobs).toHaveLength(2);
      }
    }
    expect(tokens).toBe(5);
    const legacy = await client.completions.create({
      model: "lfm2-tiny",
      prompt: "Once upon",
      max_tokens: 4,
      temperature: 0,
      logprobs: 3,
    });
    const lp = legacy.choices[0]?.logprobs;
    expect(lp?.tokens).toHaveLength(4);
    expect(lp?.token_logprobs).toHaveLength(4);
    expect(Object.keys(lp?.top_logprobs?.[0] ?? {}).length).toBeGreaterThan(0);
    expect(lp?.tokens?.join("")).toBe(legacy.choices[0]?.text);
  });
});

describe("models and embeddings", () => {
  it("retrieves one model, and answers an unknown one with 404", async () => {
    const model = await client.models.retrieve("lfm2-tiny");
    expect(model).toMatchObject({ id: "lfm2-tiny", object: "model", owned_by: "sluice" });
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404 });
  });

  it("shortens embeddings to dimensions and renormalises them", async () => {
    const short = await client.embeddings.create({ model: "lfm2-tiny", input: "hello", dimensions: 8 });
    const vector = short.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(8);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    const full = await client.embeddings.create({
      model: "lfm2-tiny",
      input: "hello",
      encoding_format: "float",
    });
    const head = (full.data[0]?.embedding ?? []).slice(0, 8);
    const norm = Math.hypot(...head);
    head.forEach((x, i) => {
      expect(vector[i]).toBeCloseTo(x / norm, 5);
    });
  });
});

describe("honest refusals: 400 INVALID_INPUT naming the request's own field", () => {
  const chat = { model: "lfm2-tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await rawRequest(`${server.url}${path}`, {
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    return {
      status: res.status,
      error: res.json().error as { code: string; param: string; message: string },
    };
  };

  it.each([
    ["/v1/chat/completions", { ...chat, n: 2 }, "n"],
    ["/v1/chat/completions", { ...chat, logit_bias: { "1": 5 } }, "logit_bias"],
    ["/v1/chat/completions", { ...chat, audio: { voice: "alloy", format: "mp3" } }, "audio"],
    ["/v1/chat/completions", { ...chat, modalities: ["text", "audio"] }, "modalities"],
    ["/v1/chat/completions", { ...chat, functions: [{ name: "f" }] }, "functions"],
    ["/v1/chat/completions", { ...chat, function_call: "auto" }, "function_call"],
    ["/v1/chat/completions", { ...chat, prediction: { type: "content", content: "x" } }, "prediction"],
    ["/v1/chat/completions", { ...chat, reasoning_effort: "low" }, "reasoning_effort"],
    ["/v1/chat/completions", { ...chat, verbosity: "low" }, "verbosity"],
    ["/v1/chat/completions", { ...chat, web_search_options: {} }, "web_search_options"],
    ["/v1/chat/completions", { ...chat, store: true }, "store"],
    ["/v1/chat/completions", { ...chat, max_tokens: 1_000_000 }, "max_tokens"],
    ["/v1/chat/completions", { ...chat, max_completion_tokens: 4097 }, "max_completion_tokens"],
    ["/v1/chat/completions", { ...chat, top_logprobs: 3 }, "top_logprobs"],
    ["/v1/chat/completions", { ...chat, logprobs: true, top_logprobs: 21 }, "top_logprobs"],
    [
      "/v1/chat/completions",
      { ...chat, tools, tool_choice: { type: "function", function: { name: "nope" } } },
      "tool_choice.function.name",
    ],
    [
      "/v1/chat/completions",
      {
        ...chat,
        tools: [
          {
            type: "function",
            function: { name: "f", parameters: { type: "object", properties: { a: { type: "banana" } } } },
          },
        ],
      },
      "tools[0].function.parameters.properties.a.type",
    ],
    [
      "/v1/chat/completions",
      { ...chat, tools: [{ type: "function", function: { name: "f", strict: true, parameters } }] },
      "tools[0].function.strict",
    ],
    [
      "/v1/chat/completions",
      {
        ...chat,
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "banana" } } },
      },
      "response_format.json_schema",
    ],
    [
      "/v1/chat/completions",
      {
        ...chat,
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { $ref: "#" } } },
      },
      "response_format.json_schema",
    ],
    [
      "/v1/chat/completions",
      {
        ...chat,
        response_format: {
          type: "json_schema",
          json_schema: { name: "x", schema: { type: "string", pattern: "^a+$" } },
        },
      },
      "response_format.json_schema",
    ],
    ["/v1/completions", { model: "lfm2-tiny", prompt: "x", best_of: 2 }, "best_of"],
    ["/v1/completions", { model: "lfm2-tiny", prompt: "x", suffix: "end" }, "suffix"],
    ["/v1/completions", { model: "lfm2-tiny", prompt: "x", n: 3 }, "n"],
    ["/v1/embeddings", { model: "lfm2-tiny", input: "x", dimensions: 100_000 }, "dimensions"],
  ] as const)("%s refuses %j", async (path, body, field) => {
    const { status, error } = await post(path, body);
    expect(status).toBe(400);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.param).toBe(field);
  });

  it("refuses a deeply nested json_schema", async () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 40; i++) schema = { type: "array", items: schema };
    const { status, error } = await post("/v1/chat/completions", {
      ...chat,
      response_format: { type: "json_schema", json_schema: { name: "deep", schema } },
    });
    expect(status).toBe(400);
    expect(error.param).toBe("response_format.json_schema");
    expect(error.message).toContain("deeper");
  });

  it("ignores fields that are not OpenAI's", async () => {
    const res = await client.chat.completions.create({
      ...chat,
      messages: [{ role: "user", content: "hi" }],
      // @ts-expect-error: not an OpenAI field; servers ignore what they do not know.
      sluice_unknown_option: 1,
    });
    expect(res.choices[0]?.finish_reason).toBe("length");
  });
});
