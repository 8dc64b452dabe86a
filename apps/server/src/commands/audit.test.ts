import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "@sluice/telemetry";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditCommand } from "./audit.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-audit-cli-"));
  const log = await AuditLog.open({ dir, fsync: false });
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
  it("exits 0 and prints the head for an intact log", async () => {
    const { out, code } = await run(dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^OK: 3 entries in 1 file\(s\), head seq 3 [0-9a-f]{64}/);
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
