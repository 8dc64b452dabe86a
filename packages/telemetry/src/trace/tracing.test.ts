import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTracing } from "./createTracing.ts";

describe("createTracing", () => {
  it("nests stage spans under the active span", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter });
    await tracing.withSpan("request", async () => {
      await tracing.withSpan("cache", () => "miss");
      await tracing.withSpan("queue", async () => {
        await tracing.withSpan("prefill", () => undefined);
        await tracing.withSpan("decode", () => undefined);
      });
    });
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get("sluice.request");
    expect(spans.map((s) => s.name).sort()).toEqual(
      ["sluice.cache", "sluice.decode", "sluice.prefill", "sluice.queue", "sluice.request"].sort(),
    );
    expect(byName.get("sluice.cache")?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(byName.get("sluice.decode")?.parentSpanContext?.spanId).toBe(
      byName.get("sluice.queue")?.spanContext().spanId,
    );
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    await tracing.shutdown();
  });

  it("marks a failed stage as an error with its code and rethrows", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter });
    const failure = Object.assign(new Error("runner died"), { code: "RUNNER_CRASHED" });
    await expect(
      tracing.withSpan("load", () => Promise.reject(failure), { "sluice.model": "m" }),
    ).rejects.toBe(failure);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({
      "sluice.error_code": "RUNNER_CRASHED",
      "sluice.model": "m",
      "sluice.stage": "load",
    });
    expect(span?.events.map((e) => e.name)).toContain("exception");
    await tracing.shutdown();
  });

  it("exports spans over OTLP/HTTP when an endpoint is configured", async () => {
    const received: { url: string | undefined; bytes: number }[] = [];
    const server = createServer((req, res) => {
      let bytes = 0;
      req.on("data", (c: Buffer) => {
        bytes += c.length;
      });
      req.on("end", () => {
        received.push({ url: req.url, bytes });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const tracing = createTracing({
      otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`,
      serviceName: "sluice-test",
    });
    await tracing.withSpan("embed", () => undefined);
    await tracing.forceFlush();
    await tracing.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[0]?.url).toBe("/v1/traces");
    expect(received[0]?.bytes).toBeGreaterThan(0);
  });

  it("records no spans at a sample ratio of 0 and rejects a ratio above 1", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter, sampleRatio: 0 });
    expect(await tracing.withSpan("validate", () => 7)).toBe(7);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(() => createTracing({ sampleRatio: 1.5 })).toThrow(RangeError);
    await tracing.shutdown();
  });
});
