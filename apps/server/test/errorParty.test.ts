import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { type RawResponse, rawRequest, startTestServer } from "./helpers.ts";

// Errors name the right party: bad input is the caller's (400, the model untouched),
// a passed deadline is the server's (504 TIMEOUT), a shutdown is the server's (503 DISPOSED).

const json = { "content-type": "application/json" };

function post(server: RunningServer, path: string, body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(`${server.url}${path}`, { headers: json, body: JSON.stringify(body) });
}

/** `sluice_requests_total` for one op and code, read from the server's own metrics. */
/** Every chat request the SDK counted, whatever its outcome. */
async function chatRequests(server: RunningServer): Promise<number> {
  const { body } = await server.sluice.metrics();
  return body
    .split("\n")
    .filter((l) => l.startsWith("sluice_requests_total{") && l.includes('op="chat"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

async function requests(server: RunningServer, op: string, code: string): Promise<number> {
  const { body } = await server.sluice.metrics();
  const line = body
    .split("\n")
    .find(
      (l) =>
        l.startsWith("sluice_requests_total{") && l.includes(`op="${op}"`) && l.includes(`code="${code}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A schema `depth` levels deep: `{"not":{"not":…{}…}}`. */
function nested(depth: number): string {
  return `${'{"not":'.repeat(depth)}{}${"}".repeat(depth)}`;
}

describe("bad input", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer();
  }, 120_000);
  afterAll(() => server?.shutdown(5000));

  it("answers a 100,000-deep json_schema with 400 INVALID_INPUT; /readyz stays 200 and the breaker untouched", async () => {
    const before = await chatRequests(server);
    const body = `{"model":"lfm2-tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"response_format":{"type":"json_schema","json_schema":{"name":"deep","schema":${nested(100_000)}}}}`;
    const res = await rawRequest(`${server.url}/v1/chat/completions`, { headers: json, body });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: "INVALID_INPUT", param: "response_format.json_schema" });
    expect((await rawRequest(`${server.url}/readyz`, { method: "GET" })).status).toBe(200);
    expect(server.sluice.health().models).toEqual([{ id: "lfm2-tiny", state: "ready" }]);
    const { body: metrics } = await server.sluice.metrics();
    expect(metrics).toMatch(/sluice_breaker_state\{model="lfm2-tiny"\} 0/);
    // Refused by the OpenAI layer's schema check before the SDK: no model request was counted at all.
    expect(await chatRequests(server)).toBe(before);
    // Just past the depth limit is refused the same way; the model still answers the next request.
    const past = await rawRequest(`${server.url}/v1/chat/completions`, {
      headers: json,
      body: body.replace(nested(100_000), nested(70)),
    });
    expect(past.status).toBe(400);
    const ok = await post(server, "/v1/completions", { model: "lfm2-tiny", prompt: "hi", max_tokens: 2 });
    expect(ok.status).toBe(200);
  });
});

describe("deadlines", () => {
  let server: RunningServer;
  beforeAll(async () => {
    // The request must outlive the deadline on any machine. With the helpers' 512-token context
    // its 2,000 tokens were cut to the ~500 that fit, which a fast machine (AMD EPYC, AVX-512,
    // in CI) generated inside 300 ms and answered 200. With room for all 2,000 (about 1.5 s
    // here, 1,300 tok/s) and a 100 ms deadline it would take 20,000 tokens a second to finish.
    server = await startTestServer({ SLUICE_CONTEXT_SIZE: 4096, SLUICE_LIMITS__REQUEST_TIMEOUT_MS: 100 });
  }, 120_000);
  afterAll(() => server?.shutdown(5000));

  it("answers a request that outlives the request deadline with 504 TIMEOUT, counted as TIMEOUT", async () => {
    const before = await requests(server, "generate", "TIMEOUT");
    const aborted = await requests(server, "generate", "ABORTED");
    const res = await post(server, "/v1/completions", {
      model: "lfm2-tiny",
      prompt: "Once upon a time",
      max_tokens: 2000,
      temperature: 0.8,
    });
    expect(res.status).toBe(504);
    expect(res.json().error.code).toBe("TIMEOUT");
    expect(await requests(server, "generate", "TIMEOUT")).toBe(before + 1);
    expect(await requests(server, "generate", "ABORTED")).toBe(aborted);
  });
});

describe("shutdown deadline", () => {
  it("ends a stream still running at the shutdown deadline with DISPOSED, counted as DISPOSED", async () => {
    // Room for all 2,000 tokens (see the deadline test): with ~500 a fast machine could finish
    // the stream inside the 200 ms shutdown deadline.
    const server = await startTestServer({ SLUICE_CONTEXT_SIZE: 4096 });
    try {
      const res = await fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({
          model: "lfm2-tiny",
          prompt: "Once upon a time",
          max_tokens: 2000,
          temperature: 0.8,
          stream: true,
        }),
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes('"text"')) text += new TextDecoder().decode((await reader.read()).value);
      const shutdown = server.shutdown(200);
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await shutdown;
      expect(/"error":\{"code":"([A-Z_]+)"/.exec(text)?.[1]).toBe("DISPOSED");
      expect(await requests(server, "generate", "DISPOSED")).toBe(1);
      expect(await requests(server, "generate", "ABORTED")).toBe(0);
    } finally {
      await server.shutdown(0);
    }
  }, 120_000);
});
