import { readFile } from "node:fs/promises";
import { type AuditVerifyResult, parseKeyFile, verifyAuditLog } from "@sluice/telemetry";
import { Command } from "commander";

/** Where the command writes; tests pass collectors. */
export interface AuditCommandIo {
  /** Defaults to `process.stdout.write`. */
  out?: (text: string) => void;
  /** Defaults to `process.stderr.write`. */
  err?: (text: string) => void;
  /** Called with the exit status. Defaults to setting `process.exitCode`. */
  exit?: (code: number) => void;
}

/**
 * `sluice audit verify <path>`: checks the hash chains of an audit log file
 * (with the rotated files before it) or directory (every process's series);
 * exits 1 at the first changed, inserted or deleted line. With `--key-file`
 * every entry's HMAC is checked, so a chain recomputed without the key fails. Register with `program.addCommand(auditCommand())`.
 */
export function auditCommand(io: AuditCommandIo = {}): Command {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code;
    });
  const audit = new Command("audit").description("Audit log tools");
  audit
    .command("verify")
    .description("Verify the hash chain of an audit log file or directory")
    .argument("<path>", "audit-NNNNNN.jsonl file or the directory holding them")
    .option(
      "--key-file <file>",
      "HMAC keys the log was written with: one `id=secret` per line, or just the secret",
    )
    .option("--json", "print the result as JSON")
    .action(async (path: string, options: { keyFile?: string; json?: boolean }) => {
      let result: AuditVerifyResult;
      try {
        const keys = options.keyFile ? parseKeyFile(await readFile(options.keyFile, "utf8")) : undefined;
        result = await verifyAuditLog(path, keys === undefined ? {} : { keys });
      } catch (error) {
        err(`audit verify: ${(error as Error).message}\n`);
        exit(2);
        return;
      }
      if (options.json) out(`${JSON.stringify(result)}\n`);
      else out(`${describe(result)}\n`);
      exit(result.ok ? 0 : 1);
    });
  return audit;
}

function describe(result: AuditVerifyResult): string {
  if (result.ok) {
    const head = result.head ? `, head seq ${result.head.seq} ${result.head.hash}` : "";
    const proof =
      result.proof === "hmac"
        ? "HMAC verified"
        : result.proof === "links"
          ? "links only: pass --key-file to prove nobody rewrote it"
          : "sha256: tamper-evident against accidents only";
    return `OK: ${result.entries} entries in ${result.files.length} file(s), ${result.series.length} series (${proof})${head}`;
  }
  const p = result.problem;
  return `FAILED: ${p?.kind} line ${p?.line} of ${p?.file}: ${p?.message} (${result.entries} entries verified before it)`;
}
