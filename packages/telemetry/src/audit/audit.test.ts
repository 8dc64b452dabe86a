import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "./AuditLog.ts";
import { type AuditEntry, digestEntry } from "./entry.ts";
import { verifyAuditLog } from "./verifyAuditLog.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-audit-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const clock = () => new Date("2026-01-01T00:00:00Z");

async function writeLog(count: number, maxFileBytes?: number): Promise<string[]> {
  const log = await AuditLog.open({
    dir,
    fsync: false,
    now: clock,
    ...(maxFileBytes ? { maxFileBytes } : {}),
  });
  for (let i = 1; i <= count; i++) {
    await log.append({ action: "model.load", actor: "cli", target: `model-${i}`, outcome: "success" });
  }
  await log.close();
  return (await readdir(dir)).sort().map((name) => join(dir, name));
}

async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  const kept = edit(lines);
  await writeFile(file, kept.length > 0 ? `${kept.join("\n")}\n` : "");
}

function rehash(line: string, change: (e: AuditEntry) => void): string {
  const entry = JSON.parse(line) as AuditEntry;
  change(entry);
  entry.hash = digestEntry(entry);
  return JSON.stringify(entry);
}

describe("AuditLog", () => {
  it("chains each line to the previous one and verifies clean", async () => {
    const [file] = await writeLog(4);
    const entries = (await readFile(file as string, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[1]?.prev).toBe(entries[0]?.hash);
    const result = await verifyAuditLog(file as string);
    expect(result).toMatchObject({ ok: true, entries: 4, head: { seq: 4, hash: entries[3]?.hash } });
  });

  it("continues the chain after a reopen", async () => {
    await writeLog(2);
    await writeLog(2);
    const result = await verifyAuditLog(dir);
    expect(result).toMatchObject({ ok: true, entries: 4, head: { seq: 4 } });
  });

  it("serialises concurrent appends into one chain", async () => {
    const log = await AuditLog.open({ dir, fsync: false });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => log.append({ action: "access.denied", actor: `k${i}` })),
    );
    await log.close();
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, entries: 20 });
  });

  it("rotates by size and keeps the chain across files", async () => {
    const files = await writeLog(10, 700);
    expect(files.length).toBeGreaterThan(2);
    const second = (await readFile(files[1] as string, "utf8")).split("\n")[0] as string;
    const firstLines = (await readFile(files[0] as string, "utf8")).trim().split("\n");
    expect((JSON.parse(second) as AuditEntry).prev).toBe(
      (JSON.parse(firstLines.at(-1) as string) as AuditEntry).hash,
    );
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, entries: 10 });
    expect(await verifyAuditLog(files[1] as string)).toMatchObject({ ok: true });
  });

  it("drops a torn last line on open instead of chaining to it", async () => {
    const [file] = await writeLog(2);
    await writeFile(file as string, `${await readFile(file as string, "utf8")}{"seq":3,"ac`);
    await writeLog(1);
    expect(await verifyAuditLog(dir)).toMatchObject({ ok: true, entries: 3 });
  });
});

describe("verifyAuditLog", () => {
  it("reports an edited line", async () => {
    const [file] = await writeLog(5);
    await editLines(file as string, (l) => l.map((s, i) => (i === 2 ? s.replace("model-3", "model-x") : s)));
    expect(await verifyAuditLog(file as string)).toMatchObject({
      ok: false,
      entries: 2,
      problem: { kind: "changed", line: 3 },
    });
  });

  it("reports an edited line even when its hash was recomputed", async () => {
    const [file] = await writeLog(5);
    await editLines(file as string, (l) =>
      l.map((s, i) => (i === 1 ? rehash(s, (e) => (e.outcome = "failure")) : s)),
    );
    expect(await verifyAuditLog(file as string)).toMatchObject({
      ok: false,
      problem: { kind: "changed", line: 2 },
    });
  });

  it("reports a deleted line at the line after the gap", async () => {
    const [file] = await writeLog(5);
    await editLines(file as string, (l) => l.filter((_, i) => i !== 2));
    const result = await verifyAuditLog(file as string);
    expect(result).toMatchObject({ ok: false, problem: { kind: "deleted", line: 3 } });
    expect(result.problem?.message).toContain("seq 3");
  });

  it("reports a deleted first line", async () => {
    const [file] = await writeLog(3);
    await editLines(file as string, (l) => l.slice(1));
    expect(await verifyAuditLog(file as string)).toMatchObject({
      ok: false,
      problem: { kind: "deleted", line: 1 },
    });
  });

  it("reports an inserted hand-written line", async () => {
    const [file] = await writeLog(4);
    const forged = JSON.stringify({ seq: 3, ts: "x", action: "model.unload", prev: "0", hash: "0" });
    await editLines(file as string, (l) => [...l.slice(0, 2), forged, ...l.slice(2)]);
    expect(await verifyAuditLog(file as string)).toMatchObject({
      ok: false,
      problem: { kind: "inserted", line: 3 },
    });
  });

  it("reports an inserted line forged with a valid hash", async () => {
    const [file] = await writeLog(4);
    await editLines(file as string, (l) => {
      const forged = rehash(l[2] as string, (e) => {
        e.target = "forged";
        e.prev = (JSON.parse(l[1] as string) as AuditEntry).hash;
      });
      return [...l.slice(0, 2), forged, ...l.slice(2)];
    });
    expect(await verifyAuditLog(file as string)).toMatchObject({
      ok: false,
      problem: { kind: "inserted", line: 3 },
    });
  });

  it("gives up with ENOENT, not a loop, when a listed file stays unreadable through three listings", async () => {
    const files = await writeLog(3);
    const first = files[0] as string;
    // A file listed and then removed (as retention does on a live log): a dangling link
    // under an audit file's name is listed every time and unreadable every time.
    await symlink(join(dir, "removed-by-retention"), first.replace(/-(\d{6})\.jsonl$/, "-000000.jsonl"));
    await expect(verifyAuditLog(dir)).rejects.toMatchObject({ code: "ENOENT" });
    await rm(first.replace(/-(\d{6})\.jsonl$/, "-000000.jsonl"));
    expect((await verifyAuditLog(dir)).ok).toBe(true);
  });

  it("reports a line deleted at a rotation boundary", async () => {
    const files = await writeLog(10, 700);
    await editLines(files[1] as string, (l) => l.slice(1));
    const result = await verifyAuditLog(dir);
    expect(result).toMatchObject({ ok: false, problem: { kind: "deleted", file: files[1], line: 1 } });
  });

  it("reports a change to the last line of a rotated file when verifying a later file", async () => {
    const files = await writeLog(10, 700);
    await editLines(files[0] as string, (l) =>
      l.map((s, i) => (i === l.length - 1 ? rehash(s, (e) => (e.actor = "x")) : s)),
    );
    const result = await verifyAuditLog(files[1] as string);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ kind: "changed", file: files[0] });
  });

  it("rejects a log written with another HMAC key", async () => {
    const log = await AuditLog.open({ dir, fsync: false, hmacKeys: [{ id: "a", key: "k1" }] });
    await log.append({ action: "config.change" });
    await log.close();
    expect((await verifyAuditLog(dir, { keys: { anyId: "k1" } })).ok).toBe(true);
    expect(await verifyAuditLog(dir, { keys: { anyId: "k2" } })).toMatchObject({
      ok: false,
      problem: { kind: "changed" },
    });
  });
});
