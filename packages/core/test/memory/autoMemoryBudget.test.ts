import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { autoMemoryBudgetBytes, cgroupMemoryLimit } from "../../src/runtime/memory/autoMemoryBudget.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("autoMemoryBudgetBytes", () => {
  it("is half of physical memory without a container limit", () => {
    expect(autoMemoryBudgetBytes({ totalBytes: 16 * 2 ** 30, cgroupLimitBytes: undefined })).toBe(
      8 * 2 ** 30,
    );
  });

  it("is half of the container's limit when that is smaller than physical memory", () => {
    expect(autoMemoryBudgetBytes({ totalBytes: 64 * 2 ** 30, cgroupLimitBytes: 4 * 2 ** 30 })).toBe(
      2 * 2 ** 30,
    );
  });

  it("reads a cgroup v2 limit, and treats `max` and v1's huge 'unlimited' as no limit", async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-cgroup-"));
    const v2 = join(dir, "memory.max");
    await writeFile(v2, "4294967296\n");
    expect(cgroupMemoryLimit([v2])).toBe(4294967296);
    await writeFile(v2, "max\n");
    const v1 = join(dir, "memory.limit_in_bytes");
    await writeFile(v1, "9223372036854771712\n");
    expect(cgroupMemoryLimit([v2, v1, join(dir, "missing")])).toBeUndefined();
  });
});
