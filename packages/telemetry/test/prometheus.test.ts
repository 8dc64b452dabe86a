import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelemetry, type Telemetry } from "../src/createTelemetry.ts";

// A real Prometheus (Debian package `prometheus`) scrapes a real HTTP server
// exposing one Sluice registry; the test then asks Prometheus's HTTP API.

const BOUND_MS = 60_000;

let telemetry: Telemetry;
let server: Server;
let prometheus: ChildProcess | undefined;
let dir: string;
let promPort: number;
const scrapes = new EventTarget();
let prometheusLog = "";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Resolves at the next scrape of /metrics; rejects when Prometheus exits or the bound passes. */
function nextScrape(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () =>
      reject(new Error(`no scrape within ${BOUND_MS} ms; prometheus said:\n${prometheusLog}`));
    signal.addEventListener("abort", onAbort, { once: true });
    scrapes.addEventListener(
      "scrape",
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      { once: true },
    );
  });
}

beforeAll(async () => {
  telemetry = await createTelemetry();
  telemetry.record.runnerRestart("lfm2-350m");
  telemetry.record.requestFinished({ op: "embed", model: "lfm2-350m", code: "OK", durationSeconds: 0.042 });
  server = createServer(async (req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    const { contentType, body } = await telemetry.renderMetrics();
    res
      .writeHead(200, { "content-type": contentType })
      .end(body, () => scrapes.dispatchEvent(new Event("scrape")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const targetPort = (server.address() as AddressInfo).port;

  dir = await mkdtemp(join(tmpdir(), "sluice-prom-"));
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: sluice",
      "    scrape_interval: 1s",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${targetPort}"]`,
      "",
    ].join("\n"),
  );
  promPort = await freePort();
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prometheus.stdout?.on("data", (c: Buffer) => {
    prometheusLog += c.toString();
  });
  prometheus.stderr?.on("data", (c: Buffer) => {
    prometheusLog += c.toString();
  });
  // Missing binary: fail loudly (CI installs the Debian package).
  prometheus.on("error", (error) => {
    prometheusLog += String(error);
  });
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = once(prometheus, "exit");
    prometheus.kill("SIGTERM");
    await exited;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { result: never[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

describe("Prometheus scraping the registry", () => {
  it("returns a sluice_ series through its HTTP API after scraping the test server", async () => {
    const signal = AbortSignal.timeout(BOUND_MS);
    // Each retry waits for the next scrape, never for a fixed time: a sample
    // is queryable once the scrape that carried it has been committed.
    let result: Awaited<ReturnType<typeof query>> = [];
    for (let attempt = 0; attempt < 10 && result.length === 0; attempt++) {
      await nextScrape(signal);
      result = await query("sluice_runner_restarts_total");
    }
    expect(result).toHaveLength(1);
    expect(result[0]?.metric).toMatchObject({
      __name__: "sluice_runner_restarts_total",
      job: "sluice",
      model: "lfm2-350m",
    });
    expect(result[0]?.value[1]).toBe("1");

    const buckets = await query('sluice_request_duration_seconds_bucket{le="0.05",outcome="ok"}');
    expect(buckets[0]?.value[1]).toBe("1");
  });
});
