import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { type RawResponse, rawRequest, startTestServer } from "./helpers.ts";

// The result cache answers before any queueing or loading, and identical
// concurrent deterministic requests share one computation.
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ SLUICE_SEQUENCES: 2, SLUICE_CONTEXT_SIZE: 4096 });
}, 120_000);
afterAll(() => server?.shutdown(5000));

const json = { "content-type": "application/json" };

function complete(body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(`${server.url}/v1/completions`, {
    headers: json,
    body: JSON.stringify({ model: "lfm2-tiny", ...body }),
  });
}

async function metric(name: string, labels: string[]): Promise<number> {
  const { body } = await server.sluice.metrics();
  const line = body.split("\n").find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A long sampled stream; resolves `started` on its first token and `ended` when it closes. */
function longStream(seed: number): { started: Promise<void>; ended: Promise<void> } {
  let onStart: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    onStart = resolve;
  });
  const ended = (async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: json,
      // Sampled without a seed: never cacheable, so each takes a sequence for its whole length.
      body: JSON.stringify({
        model: "lfm2-tiny",
        prompt: `busy ${seed}`,
        max_tokens: 1000,
        temperature: 0.9,
        stream: true,
      }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done } = await reader.read();
      onStart();
      if (done) return;
    }
  })();
  return { started, ended };
}

describe("cache first", () => {
  it("answers a repeated deterministic request from the cache while every sequence is busy, before the busy ones end", async () => {
    const request = { prompt: "The cache answers first", max_tokens: 6, temperature: 0 };
    const first = await complete(request);
    expect(first.status).toBe(200);
    expect(first.json().sluice.cached).toBe(false);

    const busy = [longStream(1), longStream(2), longStream(3)];
    await Promise.all(busy.slice(0, 2).map((b) => b.started));
    // Both sequences decode and one more request waits in the queue.
    expect(server.sluice.models.status("lfm2-tiny")).toMatchObject({ busySequences: 2, queued: 1 });

    const order: string[] = [];
    const tracked = busy.map((b, i) => b.ended.then(() => order.push(`busy${i}`)));
    const again = complete(request).then((r) => {
      order.push("cached");
      return r;
    });
    const answer = await again;
    await Promise.all(tracked);
    expect(order[0]).toBe("cached");
    expect(answer.status).toBe(200);
    expect(answer.json().sluice.cached).toBe(true);
    expect(answer.json().choices[0].text).toBe(first.json().choices[0].text);
  }, 180_000);

  it("runs the model once for 8 identical concurrent deterministic misses", async () => {
    const generatedBefore = await metric("sluice_tokens_total", ['model="lfm2-tiny"', 'kind="generated"']);
    const cacheCount = (result: string) =>
      metric("sluice_cache_requests_total", ['cache="result"', `result="${result}"`]);
    const [sharedBefore, hitsBefore, missesBefore] = [
      await cacheCount("shared"),
      await cacheCount("hit"),
      await cacheCount("miss"),
    ];
    const request = { prompt: "Eight callers, one computation", max_tokens: 12, temperature: 0, stop: [] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => complete(request)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const texts = new Set(answers.map((a) => a.json().choices[0].text));
    expect(texts.size).toBe(1);
    const tokens = answers[0]?.json().usage.completion_tokens as number;
    expect(tokens).toBeGreaterThan(0);
    // One generation's tokens, not eight.
    expect(await metric("sluice_tokens_total", ['model="lfm2-tiny"', 'kind="generated"'])).toBe(
      generatedBefore + tokens,
    );
    // One miss ran the model; the other seven were answered from it: joined to the computation in
    // flight ("shared") or, when they arrived after it stored its answer, found in the cache ("hit").
    // A 12-token answer on the tiny model can be done before the eighth request is parsed.
    expect((await cacheCount("miss")) - missesBefore).toBe(1);
    expect((await cacheCount("shared")) - sharedBefore + ((await cacheCount("hit")) - hitsBefore)).toBe(7);
    expect(answers.filter((a) => a.json().sluice.cached === false)).toHaveLength(1);
  }, 60_000);

  it("streams a cached answer to a streaming caller", async () => {
    const request = {
      model: "lfm2-tiny",
      messages: [{ role: "user", content: "Streamed from the cache" }],
      max_tokens: 5,
      temperature: 0,
    };
    const first = await rawRequest(`${server.url}/v1/chat/completions`, {
      headers: json,
      body: JSON.stringify(request),
    });
    expect(first.json().sluice.cached).toBe(false);
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ ...request, stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const chunks = (await res.text())
      .split("\n\n")
      .filter((c) => c.startsWith("data: {"))
      .map((c) => JSON.parse(c.slice(6)));
    const streamed = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(streamed).toBe(first.json().choices[0].message.content);
    expect(chunks.some((c) => c.sluice?.cached === true)).toBe(true);
  });
});
