import { readFile } from "node:fs/promises";

/**
 * Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS).
 * Undefined where /proc is unavailable (non-Linux) or the process is gone.
 */
export async function readProcessRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
