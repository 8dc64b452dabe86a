import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { type RawResponse, rawRequest, startTestServer } from "./helpers.ts";

let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startTestServer({ SLUICE_BODY_LIMIT_BYTES: 64 * 1024 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused-without-keys", maxRetries: 0 });
});
afterAll(() => server?.shutdown(5000));

describe("the official openai client against a running server", () => {
  it("gets a non-streaming chat completion with usage and the synthetic notice", async () => {
    const completion = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 6,
      temperature: 0,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("lfm2-tiny");
    expect(completion.choices[0]?.message.role).toBe("assistant");
    expect(typeof completion.choices[0]?.message.content).toBe("string");
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect((completion as unknown as { sluice: { synthetic: boolean } }).sluice.synthetic).toBe(true);
  });

  it("takes the previous answer back as history, blank or not, and continues its kept sequence", async () => {
    const reused = async () => {
      const body = await (await fetch(`${server.url}/metrics`)).text();
      const line = body
        .split("\n")
        .find((l) => l.startsWith('sluice_prompt_tokens_reused_total{model="lfm2-tiny"}'));
      return Number(line?.split(" ")[1] ?? 0);
    };
    const turn1 = [{ role: "user" as const, content: "Tell me a long story about the sea and the town." }];
    const first = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: turn1,
      max_tokens: 8,
      temperature: 0,
    });
    const answer = first.choices[0]?.message.content ?? "";
    const before = await reused();
    const second = await client.chat.completions.create({
      model: "lfm2-tiny",
      // Exactly as received: the synthetic model answers blank lines, which are history too.
      messages: [...turn1, { role: "assistant", content: answer }, { role: "user", content: "And then?" }],
      max_tokens: 4,
      temperature: 0,
    });
    expect(second.usage?.completion_tokens).toBeGreaterThan(0);
    expect(await reused()).toBeGreaterThanOrEqual(before + (first.usage?.prompt_tokens ?? 1));
  });

  it("streams a chat completion whose deltas end with a finish reason and usage", async () => {
    const stream = await client.chat.completions.create({
      model: "lfm2-tiny",
      messages: [{ role: "user", content: "Count" }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(5);
    expect(text.length).toBeGreaterThan(0);
  });

  it("gets a legacy completion", async () => {
    const completion = await client.completions.create({
      model: "lfm2-tiny",
      prompt: "Once upon",
      max_tokens: 4,
    });
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(4);
  });

  it("embeds a single string and a batch, with float and base64 encodings agreeing", async () => {
    const single = await client.embeddings.create({ model: "lfm2-tiny", input: "hello world" });
    expect(single.data).toHaveLength(1);
    const dims = single.data[0]?.embedding.length ?? 0;
    expect(dims).toBeGreaterThan(0);
    const batch = await client.embeddings.create({
      model: "lfm2-tiny",
      input: ["hello world", "another text", "a third"],
      encoding_format: "float",
    });
    expect(batch.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(batch.data.every((d) => d.embedding.length === dims)).toBe(true);
    // The client asked for base64 the first time; both paths must give the same vector.
    expect(batch.data[0]?.embedding).toEqual(single.data[0]?.embedding);
    expect(batch.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("lists the served models with the default marked", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(["lfm2-tiny"]);
    expect(
      (page.data[0] as unknown as { sluice: { default: boolean; notice: string } }).sluice,
    ).toMatchObject({
      default: true,
      notice: "synthetic weights: output is noise",
    });
  });
});

describe("bad input", () => {
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(`${server.url}${path}`, { body, headers: { "content-type": "application/json", ...headers } });

  function expectErrorBody(res: RawResponse, code: string) {
    const body = res.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(body.error.requestId).toBe(res.headers["x-request-id"]);
  }

  it("answers an oversized body with 413", async () => {
    const res = await post(
      "/v1/embeddings",
      JSON.stringify({ model: "lfm2-tiny", input: "x".repeat(70 * 1024) }),
    );
    expect(res.status).toBe(413);
    expectErrorBody(res, "INVALID_INPUT");
  });

  it("answers invalid JSON with 400", async () => {
    const res = await post("/v1/chat/completions", '{"model": "lfm2-tiny", "messages": [');
    expect(res.status).toBe(400);
    expectErrorBody(res, "INVALID_INPUT");
  });

  it("answers half a surrogate pair (a JSON \\uD800 escape) with 400 naming the message", async () => {
    // Valid JSON and valid UTF-8 bytes, but not well-formed Unicode once parsed.
    const res = await post(
      "/v1/chat/completions",
      '{"model": "lfm2-tiny", "messages": [{"role": "user", "content": "hi \\ud800 there"}]}',
    );
    expect(res.status).toBe(400);
    expectErrorBody(res, "INVALID_INPUT");
    expect(res.json().error.message).toContain("lone surrogate at index 3");
    const embed = await post("/v1/embeddings", '{"model": "lfm2-tiny", "input": ["ok", "\\udfff"]}');
    expect(embed.status).toBe(400);
    expectErrorBody(embed, "INVALID_INPUT");
  });

  it("answers wrong types with 400 naming the field path", async () => {
    const res = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "lfm2-tiny", messages: [{ role: "user", content: "hi" }], max_tokens: "ten" }),
    );
    expect(res.status).toBe(400);
    expectErrorBody(res, "INVALID_INPUT");
    expect(res.json().error.param).toBe("max_tokens");
    const nested = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "lfm2-tiny", messages: [{ role: "robot", content: "hi" }] }),
    );
    expect(nested.json().error.param).toBe("messages[0].role");
  });

  it("answers an unknown model with 404 MODEL_NOT_FOUND, streaming or not", async () => {
    const body = { model: "no-such-model", messages: [{ role: "user", content: "hi" }] };
    const res = await post("/v1/chat/completions", JSON.stringify(body));
    expect(res.status).toBe(404);
    expectErrorBody(res, "MODEL_NOT_FOUND");
    const streamed = await post("/v1/chat/completions", JSON.stringify({ ...body, stream: true }));
    expect(streamed.status).toBe(404);
    expectErrorBody(streamed, "MODEL_NOT_FOUND");
  });

  it("keeps a well-formed x-request-id as the correlation id", async () => {
    const res = await post("/v1/chat/completions", "{", { "x-request-id": "trace-abc.123" });
    expect(res.json().error.requestId).toBe("trace-abc.123");
  });
});

describe("tRPC over HTTP", () => {
  it("streams chat.stream as server-sent events that end with done and return", async () => {
    const input = encodeURIComponent(
      JSON.stringify({ messages: [{ role: "user", content: "hi" }], maxTokens: 3 }),
    );
    const res = await fetch(`${server.url}/trpc/chat.stream?input=${input}`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const data = text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)));
    expect(data.at(-1)).toMatchObject({ type: "done", model: "lfm2-tiny" });
    expect(text).toContain("event: return");
  });

  it("answers a wrong input type with 400, the field path and the correlation id", async () => {
    const res = await rawRequest(`${server.url}/trpc/generate.complete`, {
      body: JSON.stringify({ prompt: 5 }),
      headers: { "content-type": "application/json", "x-request-id": "trpc-req-1" },
    });
    expect(res.status).toBe(400);
    expect(res.json().error.data).toMatchObject({
      sluiceCode: "INVALID_INPUT",
      field: "prompt",
      requestId: "trpc-req-1",
    });
  });
});
