import { mkdir, rename, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { SluiceError } from "../../errors/index.ts";

/**
 * Moves a file that failed its checks into the quarantine directory, with a
 * JSON note beside it saying why. Quarantined files are kept for inspection;
 * the store never looks there for models.
 */
export async function quarantineFile(
  path: string,
  quarantineDir: string,
  error: SluiceError,
): Promise<string> {
  await mkdir(quarantineDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const target = join(quarantineDir, `${stamp}-${process.pid}-${basename(path).replace(/^\.+/, "")}`);
  await rename(path, target);
  await writeFile(
    `${target}.json`,
    `${JSON.stringify({ from: path, at: new Date().toISOString(), error: error.toJSON() }, null, 2)}\n`,
  );
  return target;
}
