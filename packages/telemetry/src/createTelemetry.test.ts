import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { verifyAuditLog } from "./audit/verifyAuditLog.ts";
import { createTelemetry } from "./createTelemetry.ts";
import { runWithRequestContext } from "./log/requestContext.ts";

describe("createTelemetry", () => {
  it("wires metrics, logs, spans and the audit log of one instance", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-telemetry-"));
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const exporter = new InMemorySpanExporter();
    const t = await createTelemetry({
      log: { destination },
      tracing: { exporter },
      audit: { dir, fsync: false },
      metrics: { defaultMetrics: false },
    });
    await runWithRequestContext({ requestId: "r-7" }, () =>
      t.withSpan("request", async () => {
        t.record.requestFinished({ op: "chat", model: "m", code: "OK", durationSeconds: 0.3 });
        t.logger.info({ op: "chat" }, "request end");
        await t.audit?.append({ action: "model.load", target: "m", requestId: "r-7" });
      }),
    );
    // The in-memory exporter forgets its spans on shutdown: read them first.
    const [span] = exporter.getFinishedSpans();
    await t.shutdown();
    await t.shutdown();

    const { body, contentType } = await t.renderMetrics();
    expect(contentType).toContain("text/plain");
    expect(body).toContain('sluice_requests_total{op="chat",model="m",code="OK"} 1');
    expect(body).not.toContain("process_cpu");
    const line = JSON.parse(lines[0] as string) as Record<string, string>;
    expect(line.requestId).toBe("r-7");
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line.traceId).toBe(span?.spanContext().traceId);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, entries: 1 });
    await rm(dir, { recursive: true, force: true });
  });
});
