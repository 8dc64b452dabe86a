import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad, summarize } from "../src/index.ts";

// A real HTTP server on 127.0.0.1 that answers each path one way.
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const sse = () => res.writeHead(200, { "content-type": "text/event-stream", "x-sluice-replica": "r1" });
    if (req.url === "/stream-ok") {
      sse();
      res.write('data: {"n":1}\n\ndata: {"n":2}\n\n');
      return res.end("data: [DONE]\n\n");
    }
    if (req.url === "/stream-error") {
      sse();
      res.write('data: {"n":1}\n\n');
      return res.end('data: {"error":{"code":"RUNNER_CRASHED","message":"x"}}\n\n');
    }
    if (req.url === "/stream-cut") {
      sse();
      // Cut the connection once the first event has left (a replica dying mid-stream).
      return void res.write('data: {"n":1}\n\n', () => res.destroy());
    }
    if (req.url === "/limited") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "3" });
      return res.end('{"error":{"code":"RATE_LIMITED","message":"slow down"}}');
    }
    res.writeHead(200, { "content-type": "application/json", "x-sluice-replica": "r2" });
    res.end("{}");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const streamTo = (path: string) => ({ path, body: { stream: true } });

describe("runLoad", () => {
  it("classifies complete, failed-in-stream, truncated, refused and plain answers", async () => {
    const paths = ["/stream-ok", "/stream-error", "/stream-cut", "/limited", "/plain"];
    const results = await runLoad({
      url,
      clients: 1,
      seconds: 30,
      maxRequests: paths.length,
      request: (_c, i) => (paths[i]!.startsWith("/stream") ? streamTo(paths[i]!) : { path: paths[i]! }),
    });
    const byPath = Object.fromEntries(results.map((r) => [paths[r.index], r]));
    expect(byPath["/stream-ok"]).toMatchObject({ ok: true, chunks: 2, replica: "r1" });
    expect(byPath["/stream-error"]).toMatchObject({ ok: false, code: "STREAM:RUNNER_CRASHED" });
    expect(byPath["/stream-cut"]).toMatchObject({ ok: false, code: "TRUNCATED", chunks: 1 });
    expect(byPath["/limited"]).toMatchObject({
      ok: false,
      status: 429,
      code: "RATE_LIMITED",
      retryAfter: "3",
    });
    expect(byPath["/plain"]).toMatchObject({ ok: true, status: 200, replica: "r2" });
    const summary = summarize(results);
    expect(summary).toMatchObject({ sent: 5, succeeded: 2, failed: 3, byReplica: { r1: 3, r2: 1 } });
    expect(summary.failedByCode).toEqual({ "STREAM:RUNNER_CRASHED": 1, TRUNCATED: 1, RATE_LIMITED: 1 });
  });

  it("stops at the request bound across all clients", async () => {
    const results = await runLoad({
      url,
      clients: 4,
      seconds: 30,
      maxRequests: 10,
      request: () => ({ path: "/plain" }),
    });
    expect(results).toHaveLength(10);
  });

  it("counts a refused connection as NETWORK", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const [result] = await runLoad({
      url: `http://127.0.0.1:${port}`,
      clients: 1,
      seconds: 30,
      maxRequests: 1,
      request: () => ({ path: "/" }),
    });
    expect(result).toMatchObject({ ok: false, status: 0, code: "NETWORK" });
  });
});
