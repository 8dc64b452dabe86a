import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { SluiceConfigInput } from "@sluice/config";
import { type RunningServer, startServer } from "../../src/startServer.ts";
import { type RawResponse, rawRequest } from "../helpers.ts";

/** A server started from a config file, with its log lines captured. */
export interface Harness {
  server: RunningServer;
  url: string;
  dir: string;
  configFile: string;
  /** Parsed JSON log lines, oldest first. */
  logs: Array<Record<string, unknown>>;
  /** Lines the server printed to the console. */
  printed: string[];
  get(path: string, headers?: Record<string, string>): Promise<RawResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  /** Rewrites the config file (for hot reloads). */
  rewrite(config: SluiceConfigInput): void;
  stop(): Promise<void>;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge, later wins; lists replace. */
export function merge(...layers: unknown[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    if (!isPlain(layer)) continue;
    for (const [k, v] of Object.entries(layer)) out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

/** Fast defaults for tests: in-process lfm2-tiny, a small context, one thread, private directories. */
export function baseConfig(dir: string): SluiceConfigInput {
  return {
    models: { dir: join(dir, "models") },
    runtime: { mode: "in-process", contextSize: 512, sequences: 2, threads: 1 },
    server: { host: "127.0.0.1", port: 0 },
    telemetry: { logLevel: "info", audit: { dir: join(dir, "audit") } },
  };
}

export interface StartOptions {
  /** Served model (`--model`). Defaults to `lfm2-tiny`; `null` leaves the choice to the config. */
  model?: string | null;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Reuse a directory (a restart). Defaults to a fresh one. */
  dir?: string;
}

/** Starts a server whose config file is the base merged with `config`. */
export async function startWith(config: SluiceConfigInput, options: StartOptions = {}): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "sluice-cfg-"));
  const configFile = join(dir, "sluice.yaml");
  const write = (c: SluiceConfigInput) =>
    // JSON is YAML: the file is read by the same loader as any config file.
    writeFileSync(configFile, JSON.stringify(merge(baseConfig(dir), c), null, 2));
  write(config);
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const model = options.model === undefined ? "lfm2-tiny" : options.model;
  const printed: string[] = [];
  const server = await startServer(
    { SLUICE_CONFIG: configFile, SLUICE_OFFLINE: "1", ...options.env },
    model === null ? {} : { model },
    (line) => printed.push(line),
    { logDestination: destination },
  );
  const url = server.url;
  let stopped = false;
  return {
    server,
    url,
    dir,
    configFile,
    logs,
    printed,
    get: (path, headers = {}) => rawRequest(`${url}${path}`, { method: "GET", headers }),
    post: (path, body, headers = {}) =>
      rawRequest(`${url}${path}`, {
        body: typeof body === "string" ? body : JSON.stringify(body),
        headers: { "content-type": "application/json", ...headers },
      }),
    rewrite: write,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.shutdown(2000);
      await server.sluice.close({ deadlineMs: 1000 });
      await server.sluice.telemetry.shutdown();
    },
  };
}

/** A chat request body; greedy (cacheable) unless `temperature` is given. */
export function chat(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "lfm2-tiny",
    messages: [{ role: "user", content }],
    max_tokens: 4,
    temperature: 0,
    ...extra,
  };
}

/** The value of one sample in a Prometheus text body, or undefined. */
export function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

/** Polls `probe` until it returns a value, at most `tries` × 100 ms: waiting on an outcome, never a fixed sleep. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  tries = 200,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not reached within the bound");
}

/** The error code of a failed start. */
export async function startFailure(config: SluiceConfigInput, options: StartOptions = {}): Promise<string> {
  try {
    const h = await startWith(config, options);
    await h.stop();
  } catch (err) {
    return String((err as { code?: string }).code ?? err);
  }
  return "started";
}

/** Wrong-key requests from one loopback address; the statuses in order and the last Retry-After. */
export async function wrongKeys(
  h: Pick<Harness, "url">,
  from: string,
  n: number,
): Promise<{ statuses: number[]; retryAfter: number }> {
  const statuses: number[] = [];
  let retryAfter = 0;
  for (let i = 0; i < n; i++) {
    const res = await rawRequest(`${h.url}/v1/models`, {
      method: "GET",
      headers: { authorization: `Bearer wrong-${i}` },
      localAddress: from,
    });
    statuses.push(res.status);
    if (res.status === 429) retryAfter = Number(res.headers["retry-after"]);
  }
  return { statuses, retryAfter };
}
