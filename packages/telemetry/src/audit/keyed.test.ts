import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "./AuditLog.ts";
import { type AuditEntry, digestEntry } from "./entry.ts";
import { parseKeyFile } from "./keys.ts";
import { verifyAuditLog } from "./verifyAuditLog.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-audit-keyed-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const K1 = { id: "k1", key: "first secret, 32 bytes or more...." };
const K2 = { id: "k2", key: "second secret, rotated in........" };

async function lines(): Promise<{ file: string; entries: AuditEntry[] }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".jsonl")).sort();
  return Promise.all(
    names.map(async (name) => ({
      file: join(dir, name),
      entries: (await readFile(join(dir, name), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as AuditEntry),
    })),
  );
}

describe("keyed audit chain", () => {
  it("fails verification with the key when an entry is edited and the chain recomputed without it", async () => {
    const log = await AuditLog.open({ dir, fsync: false, hmacKeys: [K1] });
    for (const target of ["a", "b", "c", "d"])
      await log.append({ action: "model.load", actor: "admin", target });
    await log.close();
    const [{ file, entries } = { file: "", entries: [] }] = await lines();
    expect(await verifyAuditLog(dir, { keys: [K1] })).toMatchObject({ ok: true, proof: "hmac", entries: 5 });

    // The forger changes entry 3 and re-chains everything after it as plain sha256 (no key).
    let prev = (entries[1] as AuditEntry).hash;
    const forged = entries.map((e, i) => {
      if (i < 2) return e;
      const { keyId: _dropped, hash: _h, ...rest } = e;
      const content = { ...rest, prev, ...(i === 2 ? { target: "forged" } : {}) };
      const next = { ...content, hash: digestEntry(content) };
      prev = next.hash;
      return next;
    });
    await writeFile(file, `${forged.map((e) => JSON.stringify(e)).join("\n")}\n`);
    expect(await verifyAuditLog(dir, { keys: [K1] })).toMatchObject({
      ok: false,
      entries: 2,
      problem: { line: 3, kind: "unkeyed" },
    });

    // Keeping the key id and guessing another key fails just the same.
    prev = (entries[1] as AuditEntry).hash;
    const guessed = entries.map((e, i) => {
      if (i < 2) return e;
      const { hash: _h, ...rest } = e;
      const content = { ...rest, prev, ...(i === 2 ? { target: "forged" } : {}) };
      const next = { ...content, hash: digestEntry(content, "a guessed key") };
      prev = next.hash;
      return next;
    });
    await writeFile(file, `${guessed.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const result = await verifyAuditLog(dir, { keys: [K1] });
    expect(result).toMatchObject({ ok: false, problem: { line: 3, kind: "changed" } });
    // Without the key only the links are checked, and the result says so.
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, proof: "links" });
  });

  it("records a key rotation in the chain and verifies entries under both key ids", async () => {
    const first = await AuditLog.open({ dir, fsync: false, baseName: "audit", hmacKeys: [K1] });
    await first.append({ action: "config.change" });
    await first.close();
    const second = await AuditLog.open({
      dir,
      fsync: false,
      baseName: "audit",
      hmacKeys: [K1, K2],
      activeKeyId: "k2",
    });
    await second.append({ action: "config.change" });
    await second.close();
    const entries = (await lines()).flatMap((f) => f.entries);
    expect(entries.map((e) => [e.action, e.keyId])).toEqual([
      ["audit.key_rotated", "k1"],
      ["config.change", "k1"],
      ["audit.key_rotated", "k2"],
      ["config.change", "k2"],
    ]);
    expect(entries[2]?.details).toEqual({ from: "k1", to: "k2" });
    const ring = parseKeyFile(`# audit keys\nk1=${K1.key}\nk2=${K2.key}\n`);
    expect(await verifyAuditLog(dir, { keys: ring })).toMatchObject({ ok: true, entries: 4 });
    expect(await verifyAuditLog(dir, { keys: [K2] })).toMatchObject({
      ok: false,
      problem: { line: 1, kind: "unkeyed" },
    });
  });

  it("keeps two writer processes on one directory verifiable: one series each", async () => {
    const tsx = pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve("tsx")).href;
    const script = join(dir, "writer.mts");
    await writeFile(
      script,
      `import { AuditLog } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, "AuditLog.ts")).href)};
const log = await AuditLog.open({ dir: process.argv[2], fsync: false, hmacKeys: [${JSON.stringify(K1)}] });
await Promise.all(Array.from({ length: 40 }, (_, i) => log.append({ action: "model.access", actor: "w" + process.pid, details: { i } })));
await log.close();
`,
    );
    const logDir = join(dir, "log");
    const run = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ["--import", tsx, script, logDir], { stdio: "inherit" });
        child.on("exit", resolve);
      });
    expect(await Promise.all([run(), run()])).toEqual([0, 0]);
    const result = await verifyAuditLog(logDir, { keys: [K1] });
    expect(result).toMatchObject({ ok: true, proof: "hmac" });
    expect(result.series.map((x) => x.ok)).toEqual([true, true]);
    // Each series starts with the key record only when it saw no earlier k1 entry: 80 events + 1 or 2.
    const text = (await Promise.all(result.files.map((f) => readFile(f, "utf8")))).join("");
    expect(text.match(/"model\.access"/g)).toHaveLength(80);
    expect(result.entries - 80).toBeGreaterThanOrEqual(1);
  });

  it("removes old files by size and anchors the chain at the first kept entry", async () => {
    const log = await AuditLog.open({
      dir,
      fsync: false,
      baseName: "audit",
      hmacKeys: [K1],
      maxFileBytes: 2000,
      retention: { maxTotalBytes: 5000 },
    });
    for (let i = 0; i < 80; i++) await log.append({ action: "model.access", details: { i } });
    await log.close();
    const files = await lines();
    const total = files.reduce((n, f) => n + f.entries.length, 0);
    const bytes = (await Promise.all(files.map((f) => readFile(f.file)))).reduce((n, b) => n + b.length, 0);
    // 80 entries of ~250 bytes were written; what stays is the limit plus at most the file being filled.
    expect(bytes).toBeLessThanOrEqual(5000 + 2000);
    expect(files[0]?.entries[0]?.seq).toBeGreaterThan(1);
    const retention = files.flatMap((f) => f.entries).filter((e) => e.action === "audit.retention");
    expect(retention.length).toBeGreaterThan(0);
    expect(await verifyAuditLog(dir, { keys: [K1] })).toMatchObject({ ok: true, entries: total });
    // Deleting a kept file by hand is still caught: no retention entry names that start.
    await rm(files[0]?.file as string);
    expect(await verifyAuditLog(dir, { keys: [K1] })).toMatchObject({
      ok: false,
      problem: { kind: "deleted" },
    });
  });

  it("removes another process's series once all its files are past the age limit", async () => {
    const old = await AuditLog.open({ dir, fsync: false, baseName: "audit-old" });
    await old.append({ action: "config.change" });
    await old.close();
    const longAgo = new Date(Date.now() - 10 * 86_400_000);
    await utimes(join(dir, "audit-old-000001.jsonl"), longAgo, longAgo);
    const log = await AuditLog.open({
      dir,
      fsync: false,
      baseName: "audit-new",
      retention: { maxAgeMs: 86_400_000 },
    });
    await log.append({ action: "config.change" });
    await log.close();
    expect((await readdir(dir)).sort()).toEqual(["audit-new-000001.jsonl"]);
    const entries = (await lines()).flatMap((f) => f.entries);
    expect(entries.at(-1)).toMatchObject({
      action: "audit.retention",
      details: { removedCount: 1, removed: ["audit-old-000001.jsonl"] },
    });
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, entries: 2 });
  });
});
