import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { rawRequest, startTestServer } from "./helpers.ts";

let server: RunningServer;

beforeAll(async () => {
  // One sequence: a second request must wait until the first one lets go.
  server = await startTestServer({ SLUICE_SEQUENCES: 1 });
});
afterAll(() => server?.shutdown(5000));

/** Waits (bounded) until `check` holds, yielding to the event loop between checks. */
async function until(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("client disconnect", () => {
  it("frees the sequence when the socket closes mid-stream: the queued request starts and A counts as ABORTED", async () => {
    const url = `${server.url}/v1/chat/completions`;
    const body = (stream: boolean, maxTokens: number) =>
      JSON.stringify({
        model: "lfm2-tiny",
        messages: [{ role: "user", content: "go" }],
        max_tokens: maxTokens,
        stream,
      });

    // A: a long stream; wait for its first bytes so it holds the only sequence.
    const streamA = request(url, { method: "POST", headers: { "content-type": "application/json" } });
    const firstBytes = new Promise<void>((resolve, reject) => {
      streamA.on("response", (res) => res.once("data", () => resolve()));
      streamA.on("error", (err) =>
        (err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err),
      );
    });
    streamA.end(body(true, 400));
    await firstBytes;

    // B: queued behind A.
    const b = rawRequest(url, { body: body(false, 2), headers: { "content-type": "application/json" } });
    await until(() => server.sluice.models.status("lfm2-tiny").queued === 1, "B to be queued");

    // B can only be dispatched once A's sequence is free; A had 400 tokens to go.
    const dispatched = new Promise<void>((resolve) => {
      const off = server.sluice.onDispatch(() => {
        off();
        resolve();
      });
    });
    streamA.destroy();
    await dispatched;

    const answer = await b;
    expect(answer.status).toBe(200);
    expect(answer.json().usage.completion_tokens).toBe(2);
    await until(
      () => server.sluice.models.status("lfm2-tiny").busySequences === 0,
      "the sequence to be free",
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_requests_total\{op="chat",model="lfm2-tiny",code="ABORTED"\} 1/);
  });

  it("frees the sequence when a tRPC subscription's client goes away", async () => {
    const input = encodeURIComponent(
      JSON.stringify({ messages: [{ role: "user", content: "go" }], maxTokens: 400 }),
    );
    const controller = new AbortController();
    const res = await fetch(`${server.url}/trpc/chat.stream?input=${input}`, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // Read until the first token event arrives: the stream then holds the only sequence.
    let seen = "";
    while (!seen.includes('"type":"token"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended before its first token");
      seen += new TextDecoder().decode(value);
    }
    const b = rawRequest(`${server.url}/v1/completions`, {
      body: JSON.stringify({ model: "lfm2-tiny", prompt: "next", max_tokens: 2 }),
      headers: { "content-type": "application/json" },
    });
    await until(() => server.sluice.models.status("lfm2-tiny").queued === 1, "B to be queued");
    const dispatched = new Promise<void>((resolve) => {
      const off = server.sluice.onDispatch(() => {
        off();
        resolve();
      });
    });
    controller.abort();
    await dispatched;
    expect((await b).status).toBe(200);
  });
});
