import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTracing } from "../trace/createTracing.ts";
import { createLogger } from "./createLogger.ts";
import { isWellFormedRequestId, requestIdFrom, runWithRequestContext } from "./requestContext.ts";

function capture(options: { logContent?: boolean } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  // pino writes synchronously to a plain Writable, so lines are there after each call.
  return { lines, logger: createLogger({ destination, ...options }) };
}

describe("requestIdFrom", () => {
  it("honours a well-formed x-request-id", () => {
    expect(requestIdFrom("abc-123_X.9")).toBe("abc-123_X.9");
    expect(requestIdFrom(["first", "second"])).toBe("first");
  });

  it("replaces a malformed or missing one with a generated UUID", () => {
    for (const bad of [undefined, "", "has space", 'quote"', "line\nbreak", "x".repeat(129)]) {
      const id = requestIdFrom(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(isWellFormedRequestId("x".repeat(128))).toBe(true);
  });
});

describe("createLogger", () => {
  it("puts the request's correlation id on every line inside its context, across awaits", async () => {
    const { lines, logger } = capture();
    await runWithRequestContext({ requestId: "req-1" }, async () => {
      logger.info("start");
      await Promise.resolve();
      logger.child({ stage: "queue" }).info("queued");
    });
    logger.info("outside");
    expect(lines.map((l) => l.requestId)).toEqual(["req-1", "req-1", undefined]);
  });

  it("puts the active span's trace id and span id on the line", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter });
    const { lines, logger } = capture();
    await tracing.withSpan("decode", () => logger.info("inside"));
    const [span] = exporter.getFinishedSpans();
    expect(lines[0]?.traceId).toBe(span?.spanContext().traceId);
    expect(lines[0]?.spanId).toBe(span?.spanContext().spanId);
    expect(lines[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    await tracing.shutdown();
  });

  it("redacts API keys and Authorization headers at any of three levels", () => {
    const { lines, logger } = capture();
    logger.info(
      {
        apiKey: "sk-1",
        req: { headers: { authorization: "Bearer sk-2", "x-api-key": "sk-3" } },
        auth: { apiKey: "sk-4" },
      },
      "request",
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ["sk-1", "sk-2", "sk-3", "sk-4"]) expect(text).not.toContain(secret);
    expect(text).toContain("[REDACTED]");
  });

  it("redacts prompts and outputs unless content logging is opted in", () => {
    const hidden = capture();
    hidden.logger.info(
      { prompt: "my secret plan", body: { messages: [{ content: "hi" }] }, output: "42" },
      "done",
    );
    const text = JSON.stringify(hidden.lines[0]);
    expect(text).not.toContain("my secret plan");
    expect(text).not.toContain('"hi"');
    expect(text).not.toContain('"42"');

    const shown = capture({ logContent: true });
    shown.logger.info({ prompt: "my secret plan", apiKey: "sk-1" }, "done");
    expect(shown.lines[0]?.prompt).toBe("my secret plan");
    expect(shown.lines[0]?.apiKey).toBe("[REDACTED]");
  });

  it("writes JSON with a string level and ISO time", () => {
    const { lines, logger } = capture();
    logger.warn("careful");
    expect(lines[0]).toMatchObject({ level: "warn", msg: "careful", service: "sluice" });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
