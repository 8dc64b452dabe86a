import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

// Downloads land in `.<name>.<pid>.<hex>.sluice-tmp` beside their final path.
// Earlier versions downloaded through ipull, which wrote `<that>.ipull` while in
// progress: such leftovers count as temp files too.
const tempPattern = /^\.(.+)\.(\d+)\.([0-9a-f]{8})\.sluice-tmp(\.ipull)?$/;

/** A fresh temp file name for a download of `storageName`. */
export function tempNameFor(storageName: string): string {
  return `.${storageName}.${process.pid}.${randomBytes(4).toString("hex")}.sluice-tmp`;
}

/** The storage name a temp file belongs to, or undefined for other files. */
export function storageNameOfTemp(fileName: string): string | undefined {
  return tempPattern.exec(fileName)?.[1];
}

/**
 * Removes temp files in `dir` (of one storage name, or of every name whose
 * lock `isHeld` says is free) and returns their paths.
 */
export async function removeTemps(
  dir: string,
  select: { storageName: string } | { isHeld: (storageName: string) => Promise<boolean> },
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = storageNameOfTemp(name);
    if (owner === undefined) continue;
    if ("storageName" in select ? owner !== select.storageName : await select.isHeld(owner)) continue;
    const path = join(dir, name);
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}
