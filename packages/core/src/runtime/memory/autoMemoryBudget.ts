import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { AUTO_MEMORY_BUDGET_SHARE } from "../defaults.ts";

const CGROUP_LIMIT_FILES = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"];

/** The container's memory limit (cgroup v2, then v1) in bytes; undefined when unlimited or unknown. */
export function cgroupMemoryLimit(files: readonly string[] = CGROUP_LIMIT_FILES): number | undefined {
  for (const file of files) {
    try {
      const limit = Number(readFileSync(file, "utf8").trim());
      // v1 reports "no limit" as a number near 2^63; v2 as "max" (NaN here).
      if (Number.isFinite(limit) && limit > 0 && limit < 2 ** 60) return limit;
    } catch {
      // Not this cgroup version, or not Linux.
    }
  }
  return undefined;
}

/** Options of {@link autoMemoryBudgetBytes}. */
export interface AutoMemoryBudgetOptions {
  /** Physical memory in bytes. Defaults to `os.totalmem()`. */
  totalBytes?: number;
  /** Container limit in bytes. Defaults to the cgroup's limit (none outside a container). */
  cgroupLimitBytes?: number | undefined;
  /** Share taken. Defaults to `AUTO_MEMORY_BUDGET_SHARE` (`0.5`). */
  share?: number;
}

/**
 * What `memoryBudgetBytes: "auto"` means, for the server and `sluice doctor`
 * alike: half of physical memory, or of the container's limit when that is
 * smaller (a pod limited to 4 GiB on a 64 GiB node gets 2 GiB, not 32).
 * Physical rather than free memory, so the budget does not depend on what
 * else happened to run at start-up.
 */
export function autoMemoryBudgetBytes(options: AutoMemoryBudgetOptions = {}): number {
  const share = options.share ?? AUTO_MEMORY_BUDGET_SHARE;
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
  const total = options.totalBytes ?? totalmem();
  const limit = "cgroupLimitBytes" in options ? options.cgroupLimitBytes : cgroupMemoryLimit();
  return Math.floor(share * Math.min(total, limit ?? Number.POSITIVE_INFINITY));
}
