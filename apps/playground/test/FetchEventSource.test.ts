import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FetchEventSource } from "../src/lib/FetchEventSource.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** A real HTTP server answering each request with `handler`. */
async function serve(
  handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void,
): Promise<string> {
  const created = createServer(handler);
  server = created;
  await new Promise<void>((resolve) => created.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}/sse`;
}

/** Collects events of the given types until the source reports `error` (closed). */
function collect(
  source: FetchEventSource,
  types: string[],
): Promise<Array<{ type: string; data?: string; id?: string }>> {
  const seen: Array<{ type: string; data?: string; id?: string }> = [];
  for (const type of types) {
    source.addEventListener(type, (e) => {
      const m = e as MessageEvent;
      seen.push({ type, data: m.data, ...(m.lastEventId ? { id: m.lastEventId } : {}) });
    });
  }
  return new Promise((resolve) => source.addEventListener("error", () => resolve(seen)));
}

describe("FetchEventSource", () => {
  it("sends its headers and parses events split across chunks", async () => {
    let auth: string | undefined;
    const url = await serve((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('event: connected\ndata: {}\n\n: ping comment\n\ndata: {"a"');
      setImmediate(() => {
        res.write(":1}\nid: 7\n\r\ndata: line1\ndata: line2\n\n");
        res.end();
      });
    });
    const source = new FetchEventSource(url, { headers: { authorization: "Bearer k1" } });
    const events = await collect(source, ["connected", "message"]);
    expect(auth).toBe("Bearer k1");
    expect(events).toEqual([
      { type: "connected", data: "{}" },
      { type: "message", data: '{"a":1}', id: "7" },
      { type: "message", data: "line1\nline2", id: "7" },
    ]);
    expect(source.readyState).toBe(source.CLOSED);
  });

  it("turns a refused request's JSON error into a serialized-error event", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { message: "no key", code: -32001, data: { sluiceCode: "UNAUTHORIZED" } } }),
      );
    });
    const events = await collect(new FetchEventSource(url), ["serialized-error"]);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.data ?? "{}").data.sluiceCode).toBe("UNAUTHORIZED");
  });

  it("close() ends the HTTP request and fires no error event", async () => {
    let closedByClient!: () => void;
    const serverSawClose = new Promise<void>((resolve) => {
      closedByClient = resolve;
    });
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      // The stream stays open: only the client can end it.
      res.on("close", closedByClient);
    });
    const source = new FetchEventSource(url);
    let errors = 0;
    source.addEventListener("error", () => errors++);
    const first = await new Promise<string>((resolve) =>
      source.addEventListener("message", (e) => resolve((e as MessageEvent).data)),
    );
    source.close();
    await serverSawClose;
    expect(first).toBe("first");
    expect(source.readyState).toBe(source.CLOSED);
    expect(errors).toBe(0);
  });
});
