import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuditEntry, AuditLog, digestEntry } from "@sluice/telemetry";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditCommand } from "./audit.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-audit-cli-"));
  const log = await AuditLog.open({ dir, fsync: false, baseName: "audit" });
  for (const target of ["a", "b", "c"]) await log.append({ action: "model.pull", actor: "cli", target });
  await log.close();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = "";
  let code: number | undefined;
  const program = new Command("sluice").exitOverride();
  program.addCommand(
    auditCommand({ out: (t) => (out += t), err: (t) => (out += t), exit: (c) => (code = c) }),
  );
  await program.parseAsync(["audit", "verify", ...args], { from: "user" });
  return { out, code };
}

describe("sluice audit verify", () => {
  it("proves a keyed log with --key-file and fails one re-chained without the key", async () => {
    const keyed = join(dir, "keyed");
    const keyFile = join(dir, "audit.key");
    await writeFile(keyFile, "k1=the audit secret of this deployment\n");
    const log = await AuditLog.open({
      dir: keyed,
      fsync: false,
      hmacKeys: [{ id: "k1", key: "the audit secret of this deployment" }],
    });
    for (const target of ["a", "b"]) await log.append({ action: "model.load", actor: "root", target });
    await log.close();
    expect(await run(keyed, "--key-file", keyFile)).toMatchObject({ code: 0 });
    expect((await run(keyed, "--key-file", keyFile)).out).toContain("HMAC verified");

    // Edit an entry and recompute its digest as plain sha256, as someone without the key can.
    const [name] = (await readdir(keyed)).filter((n) => n.endsWith(".jsonl"));
    const file = join(keyed, name as string);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const { hash: _h, keyId: _k, ...entry } = JSON.parse(lines[2] as string) as AuditEntry;
    const forged = { ...entry, actor: "someone-else" };
    lines[2] = JSON.stringify({ ...forged, hash: digestEntry(forged) });
    await writeFile(file, `${lines.join("\n")}\n`);
    const { out, code } = await run(keyed, "--key-file", keyFile);
    expect(code).toBe(1);
    expect(out).toContain("FAILED: unkeyed line 3");
  });

  it("exits 0 and prints the head for an intact log", async () => {
    const { out, code } = await run(dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^OK: 3 entries in 1 file\(s\), 1 series \(sha256: .*\), head seq 3 [0-9a-f]{64}/);
  });

  it("exits 1 and names the deleted line", async () => {
    const file = join(dir, "audit-000001.jsonl");
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    await writeFile(file, `${[lines[0], lines[2]].join("\n")}\n`);
    const { out, code } = await run(file, "--json");
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ ok: false, problem: { kind: "deleted", line: 2 } });
  });
});
