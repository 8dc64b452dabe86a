// Load test: N concurrent clients for D seconds against a server on lfm2-tiny.
// Each client loops over non-streaming chat completions (sampling, so the
// result cache does not answer them) with every fifth request an embedding.
// Prints status counts and latency percentiles; exits 1 on any 5xx. The
// client loop is @sluice/loadgen, the same one the scale-out test drives.
//
//   pnpm --filter @sluice/server loadtest [--clients 32] [--seconds 30] [--url http://127.0.0.1:8080]
//   (LOADTEST_RUNTIME=in-process and LOADTEST_THREADS=2 change the self-started server)
//
// Without --url it starts its own server in this process (lfm2-tiny, 4 sequences).
import { parseArgs } from "node:util";
import { runLoad, summarize } from "@sluice/loadgen";
import { type RunningServer, startServer } from "../src/startServer.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "32" },
    seconds: { type: "string", default: "30" },
    url: { type: "string" },
    "max-tokens": { type: "string", default: "16" },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const maxTokens = Number(values["max-tokens"]);

let server: RunningServer | undefined;
let base = values.url;
if (!base) {
  server = await startServer(
    {
      SLUICE_PORT: 0,
      SLUICE_MODEL: "lfm2-tiny",
      SLUICE_LOG_LEVEL: "warn",
      SLUICE_CONTEXT_SIZE: 512,
      SLUICE_SEQUENCES: 4,
      // One thread: on a shared 2-core machine, llama.cpp's thread barriers stall whenever a peer thread is descheduled.
      SLUICE_THREADS: Number(process.env.LOADTEST_THREADS ?? 1),
      SLUICE_MAX_QUEUE: 64,
      // The default config has no rate limiter (limits.rateLimit.enabled: false); LOADTEST_RATE_LIMIT_RPM turns one on.
      ...(process.env.LOADTEST_RATE_LIMIT_RPM
        ? {
            SLUICE_LIMITS__RATE_LIMIT__ENABLED: "true",
            SLUICE_RATE_LIMIT_RPM: process.env.LOADTEST_RATE_LIMIT_RPM,
          }
        : {}),
      SLUICE_OFFLINE: "1",
      // Defaults to the config's runtime mode (runner processes); LOADTEST_RUNTIME=in-process compares.
      ...(process.env.LOADTEST_RUNTIME === "in-process" ? { SLUICE_RUNTIME: "in-process" as const } : {}),
    },
    {},
    () => undefined,
  );
  base = server.url;
}

const t0 = performance.now();
const results = await runLoad({
  url: base,
  clients,
  seconds,
  request: (id, i) =>
    i % 5 === 4
      ? {
          path: "/v1/embeddings",
          body: { model: "lfm2-tiny", input: [`client ${id} text ${i}`] },
          headers: { "x-request-id": `load-${id}-${i}` },
        }
      : {
          path: "/v1/chat/completions",
          body: {
            model: "lfm2-tiny",
            messages: [{ role: "user", content: `Client ${id} asks question ${i}` }],
            max_tokens: maxTokens,
            temperature: 0.8,
          },
          headers: { "x-request-id": `load-${id}-${i}` },
        },
});
const elapsed = (performance.now() - t0) / 1000;
const summary = summarize(results);
const statuses = new Map<number, number>();
for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
const networkErrors = statuses.get(0) ?? 0;
const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(
  JSON.stringify(
    {
      clients,
      seconds: Number(elapsed.toFixed(1)),
      requests: summary.sent,
      rps: Number((summary.sent / elapsed).toFixed(2)),
      statuses: Object.fromEntries([...statuses].filter(([s]) => s > 0)),
      networkErrors,
      fivexx,
      failedByCode: summary.failedByCode,
      latencyMs: { p50: summary.p50Ms, p95: summary.p95Ms },
    },
    null,
    2,
  ),
);
await server?.shutdown(10_000);
process.exit(fivexx > 0 || networkErrors > 0 ? 1 : 0);
