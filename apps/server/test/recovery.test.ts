import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { innermostProcess, type RawResponse, rawRequest, startTestServer } from "./helpers.ts";

// Real runner processes on the synthetic lfm2-tiny: crashes and hangs are real signals.
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({
    SLUICE_RUNTIME: "runner",
    SLUICE_SEQUENCES: 4,
    // Room for long generations, so streams are still running when the runner dies.
    SLUICE_CONTEXT_SIZE: 4096,
  });
}, 120_000);
afterAll(() => server?.shutdown(5000));

/** Pids of the processes running this process's runners (read from /proc: no hooks into the server). */
function runnerPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (Number(fields[1]) === process.pid && cmdline.includes("runnerMain"))
        pids.push(innermostProcess(Number(name)));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Waits (bounded) until `check` resolves true, yielding between checks. */
async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 90_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const readyz = (): Promise<RawResponse> => rawRequest(`${server.url}/readyz`, { method: "GET" });
const json = { "content-type": "application/json" };

function complete(body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(`${server.url}/v1/completions`, {
    headers: json,
    body: JSON.stringify({ model: "lfm2-tiny", prompt: "Once upon a time", ...body }),
  });
}

/** A streaming completion: resolves `firstToken` on its first token and `ended` with the stream's error code (or "done"). */
function stream(maxTokens: number): {
  firstToken: Promise<void>;
  ended: Promise<{ code: string; at: number }>;
} {
  let onFirst: () => void = () => undefined;
  const firstToken = new Promise<void>((resolve) => {
    onFirst = resolve;
  });
  const ended = (async () => {
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        model: "lfm2-tiny",
        prompt: "Once upon a time",
        max_tokens: maxTokens,
        temperature: 0.8,
        stream: true,
      }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      if (text.includes('"text"')) onFirst();
    }
    const error = /"error":\{"code":"([A-Z_]+)"/.exec(text);
    return { code: error?.[1] ?? (text.includes("[DONE]") ? "done" : "cut"), at: performance.now() };
  })();
  return { firstToken, ended };
}

async function metric(name: string, labels: string): Promise<number> {
  const body = (await rawRequest(`${server.url}/metrics`, { method: "GET" })).body;
  const line = body.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("runner crash (SIGKILL) with 4 streams in flight", () => {
  it("ends every stream with a typed error, serves the next request once the new runner is ready, and /readyz recovers without a streaming request", async () => {
    await until(async () => (await readyz()).status === 200, "the server to be ready");
    const [pid] = runnerPids();
    expect(pid).toBeGreaterThan(0);
    const restartsBefore = await metric("sluice_runner_restarts_total", 'model="lfm2-tiny"');

    const streams = Array.from({ length: 4 }, () => stream(2000));
    await Promise.all(streams.map((s) => s.firstToken));
    const killedAt = performance.now();
    process.kill(pid as number, "SIGKILL");

    const ends = await Promise.all(streams.map((s) => s.ended));
    expect(ends.map((e) => e.code)).toEqual([
      "RUNNER_CRASHED",
      "RUNNER_CRASHED",
      "RUNNER_CRASHED",
      "RUNNER_CRASHED",
    ]);
    const streamsEndedMs = Math.max(...ends.map((e) => e.at)) - killedAt;

    // The gap: not ready, and the 503 says when to come back.
    const gap = await readyz();
    expect(gap.status).toBe(503);
    expect(Number(gap.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    // A request in the gap waits for the new runner instead of failing.
    const next = await complete({ max_tokens: 4, temperature: 0 });
    const firstSuccessMs = performance.now() - killedAt;
    expect(next.status).toBe(200);
    const newPid = runnerPids()[0];
    expect(newPid).not.toBe(pid);

    await until(async () => (await readyz()).status === 200, "/readyz to recover");
    const readyMs = performance.now() - killedAt;

    // One crash is one failure: the breaker never opened.
    expect(await metric("sluice_breaker_state", 'model="lfm2-tiny"')).toBe(0);
    expect(await metric("sluice_runner_restarts_total", 'model="lfm2-tiny"')).toBe(restartsBefore + 1);
    console.log(
      `chaos (lfm2-tiny, 4 streams, SIGKILL): streams ended ${streamsEndedMs.toFixed(0)} ms after the kill; ` +
        `first success ${firstSuccessMs.toFixed(0)} ms; /readyz 200 ${readyMs.toFixed(0)} ms`,
    );
  }, 240_000);
});

describe("hung runner (SIGSTOP)", () => {
  it("is detected by its missing heartbeats, /readyz is 503 meanwhile, and a new runner takes over", async () => {
    await until(async () => (await readyz()).status === 200, "the server to be ready");
    const [pid] = runnerPids();
    process.kill(pid as number, "SIGSTOP");
    const stoppedAt = performance.now();
    try {
      await until(async () => (await readyz()).status === 503, "/readyz to report the hung runner");
      const detectedMs = performance.now() - stoppedAt;
      await until(async () => (await readyz()).status === 200, "a new runner to be ready");
      const recoveredMs = performance.now() - stoppedAt;
      expect(runnerPids()).not.toContain(pid);
      expect((await complete({ max_tokens: 4, temperature: 0 })).status).toBe(200);
      console.log(
        `hang (lfm2-tiny, SIGSTOP): /readyz 503 after ${detectedMs.toFixed(0)} ms; ready again after ${recoveredMs.toFixed(0)} ms`,
      );
    } finally {
      // Harmless once the supervisor killed it; frees it if the test failed first.
      try {
        process.kill(pid as number, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, 240_000);
});

describe("health after non-streaming requests", () => {
  it("a non-streaming request caught in a runner crash is answered by the new runner, and /readyz returns to 200", async () => {
    await until(async () => (await readyz()).status === 200, "the server to be ready");
    const [pid] = runnerPids();
    // A (non-streaming) decodes first; once B's first token reached us, A is decoding too. A's
    // text has not reached anyone (the runner sends a non-streamed answer only at its end), so
    // the crash leaves nothing that a retry would repeat: A is retried on the new runner.
    const a = complete({ max_tokens: 2000, temperature: 0.8 });
    const b = stream(2000);
    await b.firstToken;
    process.kill(pid as number, "SIGKILL");
    const answered = await a;
    expect(answered.status).toBe(200);
    expect(answered.json().choices[0].text.length).toBeGreaterThan(0);
    expect(runnerPids()).not.toContain(pid);
    // B had streamed tokens before the crash: it cannot be retried, and ends with the crash.
    expect((await b.ended).code).toBe("RUNNER_CRASHED");
    const ok = await complete({ max_tokens: 4, temperature: 0 });
    expect(ok.status).toBe(200);
    await until(async () => (await readyz()).status === 200, "/readyz to be 200");
    expect(server.sluice.health().models.find((m) => m.id === "lfm2-tiny")?.state).toBe("ready");
  }, 240_000);
});
