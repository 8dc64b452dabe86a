// Load test: N concurrent clients for D seconds against a server on lfm2-tiny.
// Each client loops over non-streaming chat completions (sampling, so the
// result cache does not answer them) with every fifth request an embedding.
// Prints status counts and latency percentiles; exits 1 on any 5xx.
//
//   pnpm --filter @sluice/server loadtest [--clients 32] [--seconds 30] [--url http://127.0.0.1:8080]
//   (LOADTEST_RUNTIME=in-process and LOADTEST_THREADS=2 change the self-started server)
//
// Without --url it starts its own server in this process (lfm2-tiny, 4 sequences).
import { parseArgs } from "node:util";
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
      // The test measures serving; the per-key rate limit (on by default) would turn most requests into 429.
      SLUICE_RATE_LIMIT_RPM: Number(process.env.LOADTEST_RATE_LIMIT_RPM ?? 0),
      SLUICE_OFFLINE: "1",
      // Defaults to the config's runtime mode (runner processes); LOADTEST_RUNTIME=in-process compares.
      ...(process.env.LOADTEST_RUNTIME === "in-process" ? { SLUICE_RUNTIME: "in-process" as const } : {}),
    },
    {},
    () => undefined,
  );
  base = server.url;
}

const latencies: number[] = [];
const statuses = new Map<number, number>();
let errors = 0;
const failures: string[] = [];
const until = performance.now() + seconds * 1000;

async function client(id: number): Promise<void> {
  for (let i = 0; performance.now() < until; i++) {
    const embed = i % 5 === 4;
    const started = performance.now();
    try {
      const res = await fetch(`${base}/v1/${embed ? "embeddings" : "chat/completions"}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": `load-${id}-${i}` },
        body: JSON.stringify(
          embed
            ? { model: "lfm2-tiny", input: [`client ${id} text ${i}`] }
            : {
                model: "lfm2-tiny",
                messages: [{ role: "user", content: `Client ${id} asks question ${i}` }],
                max_tokens: maxTokens,
                temperature: 0.8,
              },
        ),
      });
      const text = await res.text();
      if (res.status >= 400 && failures.length < 5) failures.push(`${res.status} ${text.slice(0, 300)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(
  JSON.stringify(
    {
      clients,
      seconds: Number(elapsed.toFixed(1)),
      requests: latencies.length,
      rps: Number((latencies.length / elapsed).toFixed(2)),
      statuses: Object.fromEntries(statuses),
      networkErrors: errors,
      fivexx,
      failures,
      latencyMs: {
        p50: Math.round(pct(50)),
        p95: Math.round(pct(95)),
        p99: Math.round(pct(99)),
        max: Math.round(pct(100)),
      },
    },
    null,
    2,
  ),
);
await server?.shutdown(10_000);
process.exit(fivexx > 0 || errors > 0 ? 1 : 0);
