import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { verifyAuditLog } from "@sluice/telemetry";
import { expect } from "vitest";
import { chat, eventually, type Harness, wrongKeys } from "./harness.ts";
import type { Profile } from "./profile.ts";

const KEY_OLD = { id: "k1", key: "the retired audit key, thirty-two bytes or more" };
const KEY_NEW = { id: "k2", key: "the active audit key, thirty-two bytes or more!!" };
const INFER = "infer-secret-17";
/** A foreign series last written three days ago: `maxAgeDays: 1` removes it at the first write. */
const STALE = "sluice-19700101T000000000Z-gone-1-000001.jsonl";

interface Entry {
  action: string;
  keyId?: string;
  details?: { address?: string; count?: number };
}

const auditDir = (h: Harness) => join(h.dir, "audit");
const entries = (h: Harness): Entry[] =>
  readdirSync(auditDir(h))
    .filter((n) => n.endsWith(".jsonl"))
    .flatMap((n) =>
      readFileSync(join(auditDir(h), n), "utf8")
        .trim()
        .split("\n"),
    )
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Entry);

const chatAs = (h: Harness, content: string) =>
  h.post("/v1/chat/completions", chat(content, { max_tokens: 1 }), { authorization: `Bearer ${INFER}` });

/** Every process below `pid`, depth first (the runner inside bubblewrap is a grandchild). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const children = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
      for (const c of children ? children.split(/\s+/).map(Number) : []) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** Audit keys, retention, failed-auth limits, content policies and the runner sandbox. */
export const securityProfiles: Profile[] = [
  {
    name: "audit, abuse limits and content policy",
    config: {
      telemetry: {
        audit: {
          hmacKeys: [KEY_OLD, KEY_NEW],
          activeKeyId: "k2",
          maxFileBytes: 4096,
          maxTotalBytes: 16_384,
          maxAgeDays: 1,
          authFailuresPerMinute: 3,
        },
      },
      limits: { failedAuth: { perMinute: 1, burst: 6 } },
      contentPolicy: { denyTerms: ["forbidden topic"], denyPatterns: ["zq[0-9]{3}"], redactPii: true },
    },
    start: { env: { SLUICE_API_KEYS: `alice:infer:${INFER}` } },
    prepare: (dir) => {
      const audit = join(dir, "audit");
      mkdirSync(audit, { recursive: true });
      const file = join(audit, STALE);
      writeFileSync(file, `${JSON.stringify({ action: "old", seq: 1, prev: "0", hash: "x" })}\n`);
      const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
      utimesSync(file, threeDaysAgo, threeDaysAgo);
    },
    fields: {
      "telemetry.audit.hmacKeys[].id": async (h) => {
        expect((await chatAs(h, "hello")).status).toBe(200);
        await eventually(() => (entries(h).some((e) => e.action === "model.access") ? true : undefined));
        // Every entry this server wrote names the active key's id.
        const keyed = entries(h).filter((e) => e.action !== "old");
        expect(new Set(keyed.map((e) => e.keyId))).toEqual(new Set(["k2"]));
      },
      "telemetry.audit.hmacKeys[].key": async (h) => {
        expect((await verifyAuditLog(auditDir(h), { keys: [KEY_OLD, KEY_NEW] })).proof).toBe("hmac");
        expect((await verifyAuditLog(auditDir(h), { keys: [KEY_OLD, KEY_NEW] })).ok).toBe(true);
        // The same ids with another secret: the HMACs do not match.
        const forged = [KEY_OLD, { id: "k2", key: "a guessed key of thirty-two bytes or more...." }];
        expect((await verifyAuditLog(auditDir(h), { keys: forged })).ok).toBe(false);
      },
      "telemetry.audit.activeKeyId": async (h) => {
        // Only the retired key: the entries are under k2, which this ring lacks.
        const result = await verifyAuditLog(auditDir(h), { keys: [KEY_OLD] });
        expect(result.ok).toBe(false);
        expect(result.problem?.kind).toBe("unkeyed");
      },
      "telemetry.audit.maxAgeDays": async (h) => {
        await eventually(() => (existsSync(join(auditDir(h), STALE)) ? undefined : true));
      },
      "telemetry.audit.maxTotalBytes": async (h) => {
        // model.access entries until the series has rotated well past the cap.
        for (let i = 0; i < 120; i++) expect((await chatAs(h, `note ${i}`)).status).toBe(200);
        const own = () =>
          readdirSync(auditDir(h))
            .filter((n) => n.endsWith(".jsonl"))
            .map((n) => readFileSync(join(auditDir(h), n)).length);
        const files = await eventually(() => (own().length >= 2 ? own() : undefined));
        // Oldest files go first: what is kept is at most the cap plus the file being written.
        expect(files.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(16_384 + 4096 + 1024);
        expect(entries(h).some((e) => e.action === "audit.retention")).toBe(true);
        expect((await verifyAuditLog(auditDir(h), { keys: [KEY_NEW] })).ok).toBe(true);
      },
      "limits.failedAuth.burst": async (h) => {
        const { statuses } = await wrongKeys(h, "127.0.0.3", 10);
        expect(statuses).toEqual([...Array(6).fill(401), ...Array(4).fill(429)]);
      },
      "limits.failedAuth.perMinute": async (h) => {
        const { retryAfter } = await wrongKeys(h, "127.0.0.4", 8);
        // One failure refilled per minute: the wait is tens of seconds (at the default 30/min it is 2 s).
        expect(retryAfter).toBeGreaterThanOrEqual(30);
      },
      "telemetry.audit.authFailuresPerMinute": async (h) => {
        await wrongKeys(h, "127.0.0.5", 6);
        const mine = () => entries(h).filter((e) => e.details?.address === "127.0.0.5");
        // Audit appends are asynchronous: wait for the third, then no more come within the minute.
        const single = await eventually(() => {
          const written = mine().filter((e) => e.action === "auth.failure");
          return written.length >= 3 ? written : undefined;
        });
        // 3 written whole per address and minute (6 if the burst straddled a minute boundary).
        expect(single.length === 3 || single.length === 6).toBe(true);
      },
      "contentPolicy.denyTerms": async (h) => {
        const res = await chatAs(h, "tell me about the Forbidden Topic");
        expect(res.status).toBe(400);
        expect(res.json().error.code).toBe("CONTENT_BLOCKED");
      },
      "contentPolicy.denyPatterns": async (h) => {
        expect((await chatAs(h, "order zq123 please")).json().error.code).toBe("CONTENT_BLOCKED");
        expect((await chatAs(h, "order zq12 please")).status).toBe(200);
      },
      "contentPolicy.redactPii": async (h) => {
        // The model reads "[email]" either way: the prompts cost the same number of tokens.
        const tokens = async (content: string) =>
          (await chatAs(h, content)).json().usage.prompt_tokens as number;
        const long = await tokens("write to averyveryverylongaddress.with.parts@subdomain.example.com today");
        const masked = await tokens("write to [email] today");
        expect(long).toBe(masked);
      },
    },
  },
  {
    name: "runner sandbox",
    config: { runtime: { mode: "runner", sandbox: "bwrap" } },
    fields: {
      "runtime.sandbox": async (h) => {
        expect((await h.post("/v1/chat/completions", chat("hi"))).status).toBe(200);
        const pid = await eventually(async () => {
          const list = (await h.get("/v1/models")).json().data as Array<{
            id: string;
            sluice: { memory?: { runnerPid?: number } };
          }>;
          return list.find((m) => m.id === "lfm2-tiny")?.sluice.memory?.runnerPid;
        });
        expect(pid).toBeGreaterThan(0);
        expect(h.logs.some((l) => l.msg === "runner sandbox" && l.sandbox === "bwrap")).toBe(true);
        // The runner lives in a network namespace of its own (no network), unlike this process.
        const own = readlinkSync("/proc/self/ns/net");
        const namespaces = [pid as number, ...descendants(pid as number)].map((p) =>
          readlinkSync(`/proc/${p}/ns/net`),
        );
        expect(namespaces.some((ns) => ns !== own)).toBe(true);
      },
    },
  },
];
