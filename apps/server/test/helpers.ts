import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerEnv } from "../src/env.ts";
import { type RunningServer, startServer } from "../src/startServer.ts";

/** Starts an in-process server on 127.0.0.1 with a random port on the synthetic lfm2-tiny. */
export function startTestServer(env: Partial<ServerEnv> = {}): Promise<RunningServer> {
  return startServer(
    {
      SLUICE_HOST: "127.0.0.1",
      SLUICE_PORT: 0,
      SLUICE_MODEL: "lfm2-tiny",
      SLUICE_LOG_LEVEL: "silent",
      // A private store directory: verification records and pins stay out of the workspace.
      SLUICE_MODELS_DIR: mkdtempSync(join(tmpdir(), "sluice-models-")),
      SLUICE_OFFLINE: "1",
      // In-process engines keep these tests fast; the SIGTERM test runs the default (runner processes).
      SLUICE_RUNTIME: "in-process",
      SLUICE_CONTEXT_SIZE: 512,
      SLUICE_SEQUENCES: 2,
      SLUICE_THREADS: 1,
      ...env,
    },
    {},
    () => undefined,
  );
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely and assert on them.
  json(): any;
}

/** One HTTP request with a raw body (so tests can send what fetch would refuse to). */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Client address to connect from (any of 127.0.0.0/8 on Linux), for per-address limits. */
    localAddress?: string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "POST",
        headers: options.headers,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * The process that runs a runner's code: `pid` itself, or, when the runner is
 * sandboxed (bubblewrap: bwrap → the namespace's bwrap init → node), the node
 * process below the bwrap layers. A crash or hang is simulated on that
 * process, as the kernel's OOM killer or a native deadlock would hit it.
 */
export function innermostProcess(pid: number): number {
  let current = pid;
  for (;;) {
    let comm: string;
    let children: string;
    try {
      comm = readFileSync(`/proc/${current}/comm`, "utf8").trim();
      children = readFileSync(`/proc/${current}/task/${current}/children`, "utf8").trim();
    } catch {
      return current;
    }
    const first = children.split(/\s+/).filter(Boolean)[0];
    if (comm !== "bwrap" || first === undefined) return current;
    current = Number(first);
  }
}
