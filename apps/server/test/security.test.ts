import { mkdtempSync, writeFileSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyAuditLog } from "@sluice/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { wrongKeys } from "./config/harness.ts";
import { rawRequest, startTestServer } from "./helpers.ts";

/** The flood comes from its own loopback address, so other tests' failures do not mix in. */
const FLOODER = "127.0.0.2";
const AUDIT_KEY = { id: "a1", key: "an audit key of at least thirty-two bytes" };
let server: RunningServer;
let auditDir: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-security-"));
  auditDir = join(dir, "audit");
  const configFile = join(dir, "sluice.yaml");
  writeFileSync(
    configFile,
    JSON.stringify({
      telemetry: { audit: { dir: auditDir, hmacKeys: [AUDIT_KEY], authFailuresPerMinute: 5 } },
      limits: { failedAuth: { perMinute: 1, burst: 10 } },
      server: { maxBodyBytes: 4096 },
      contentPolicy: { denyTerms: ["forbidden topic"], redactPii: true },
    }),
  );
  server = await startTestServer({
    SLUICE_CONFIG: configFile,
    SLUICE_API_KEYS: "alice:infer:infer-secret,root:infer+admin:admin-secret",
  });
});
afterAll(async () => {
  await server?.shutdown(5000);
});

async function auditBytes(): Promise<number> {
  const names = await readdir(auditDir);
  const sizes = await Promise.all(names.map((n) => stat(join(auditDir, n))));
  return sizes.reduce((sum, s) => sum + s.size, 0);
}

describe("tRPC transport", () => {
  it("answers an oversized body with 413 before tRPC reads it", async () => {
    const res = await rawRequest(`${server.url}/trpc/embed`, {
      headers: { "content-type": "application/json", authorization: "Bearer infer-secret" },
      body: JSON.stringify({ input: "x".repeat(10_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.json().error.data).toMatchObject({ sluiceCode: "INVALID_INPUT", httpStatus: 413 });
  });

  it("answers a chunked oversized body (no content-length) with 413 too", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/trpc/embed`,
        {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer infer-secret" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(`{"input":"${"y".repeat(3000)}`);
      req.end(`${"y".repeat(3000)}"}`);
    });
    expect(status).toBe(413);
  });

  it("refuses a subscription without a key with 401 before any stream starts", async () => {
    const input = encodeURIComponent(JSON.stringify({ prompt: "hi" }));
    const res = await rawRequest(`${server.url}/trpc/generate.stream?input=${input}`, { method: "GET" });
    expect(res.status).toBe(401);
    expect(String(res.headers["content-type"])).toContain("application/json");
    expect(res.json().error.data).toMatchObject({ sluiceCode: "UNAUTHORIZED", httpStatus: 401 });
  });

  it("refuses an admin subscription with an infer key with 403 before any stream starts", async () => {
    const input = encodeURIComponent(JSON.stringify({ id: "lfm2-tiny" }));
    const res = await rawRequest(`${server.url}/trpc/models.pull?input=${input}`, {
      method: "GET",
      headers: { authorization: "Bearer infer-secret" },
    });
    expect(res.status).toBe(403);
    expect(res.json().error.data.sluiceCode).toBe("FORBIDDEN");
  });
});

describe("hostile input", () => {
  it("quotes only a bounded prefix of a 100,000-character hf: reference", async () => {
    const ref = `hf:${"a".repeat(100_000)}`;
    const res = await rawRequest(
      `${server.url}/trpc/models.status?input=${encodeURIComponent(JSON.stringify({ id: ref }))}`,
      {
        method: "GET",
        headers: { authorization: "Bearer admin-secret" },
      },
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.length).toBeLessThan(2000);
    expect(res.body).not.toContain("a".repeat(1001));
  });
});

describe("content policy and model access over HTTP", () => {
  it("answers a blocked chat with 400 CONTENT_BLOCKED and audits model access by key id, never the text", async () => {
    const chat = (content: string) =>
      rawRequest(`${server.url}/v1/chat/completions`, {
        headers: { "content-type": "application/json", authorization: "Bearer infer-secret" },
        body: JSON.stringify({ model: "lfm2-tiny", messages: [{ role: "user", content }], max_tokens: 3 }),
      });
    const blocked = await chat("tell me about the forbidden topic");
    expect(blocked.status).toBe(400);
    expect(blocked.json().error).toMatchObject({ code: "CONTENT_BLOCKED", type: "content_policy_violation" });
    const served = await chat("a harmless secret-free prompt");
    expect(served.status).toBe(200);
    const deadline = Date.now() + 5000;
    let text = "";
    while (!text.includes('"model.access"') && Date.now() < deadline) {
      const names = await readdir(auditDir);
      text = (await Promise.all(names.map((n) => readFile(join(auditDir, n), "utf8")))).join("");
    }
    const access = text
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            action: string;
            actor?: string;
            target?: string;
            details?: Record<string, number>;
          },
      )
      .find((e) => e.action === "model.access");
    expect(access).toMatchObject({ actor: "alice", target: "lfm2-tiny" });
    expect(access?.details?.promptTokens).toBeGreaterThan(0);
    expect(text).toContain('"action":"content.blocked"');
    expect(text).not.toContain("harmless secret-free");
    // The reason names the configured term; the caller's text is never written.
    expect(text).not.toContain("tell me about the");
  });
});

describe("failed authentication", () => {
  it("turns a wrong-key flood into 429s with Retry-After and a bounded audit log", async () => {
    const before = await auditBytes();
    const { statuses, retryAfter } = await wrongKeys({ url: server.url }, FLOODER, 300);
    // The burst of 10 failures is answered 401; after that the address is refused unchecked.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // A valid key from the same address is refused too while the bucket is empty.
    const valid = await rawRequest(`${server.url}/v1/models`, {
      method: "GET",
      headers: { authorization: "Bearer infer-secret" },
      localAddress: FLOODER,
    });
    expect(valid.status).toBe(429);
    // Other addresses are not affected.
    const other = await rawRequest(`${server.url}/v1/models`, {
      method: "GET",
      headers: { authorization: "Bearer infer-secret" },
    });
    expect(other.status).toBe(200);

    await server.shutdown(5000);
    const grown = (await auditBytes()) - before;
    const entries = (
      await Promise.all((await readdir(auditDir)).map((n) => readFile(join(auditDir, n), "utf8")))
    )
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; details?: { count?: number; address?: string } });
    const mine = entries.filter((e) => e.details?.address === FLOODER);
    const single = mine.filter((e) => e.action === "auth.failure");
    const summary = mine.filter((e) => e.action === "auth.failure.summary");
    // 5 failures written whole per address and minute (10 if the flood straddled a minute);
    // every other one of the 301 is counted in a summary entry.
    expect(single.length === 5 || single.length === 10).toBe(true);
    expect(single.length + summary.reduce((n, e) => n + (e.details?.count ?? 0), 0)).toBe(301);
    expect(grown).toBeLessThan(20 * 1024);
    expect(await verifyAuditLog(auditDir, { keys: [AUDIT_KEY] })).toMatchObject({ ok: true, proof: "hmac" });
  });
});
