import type { BigIntStats } from "node:fs";
import { z } from "zod";
import { JsonStateFile } from "./jsonStateFile.ts";

const RecordSchema = z.object({
  path: z.string(),
  dev: z.string(),
  ino: z.string(),
  size: z.string(),
  mtimeNs: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  verifiedAt: z.string(),
});
const FileSchema = z.object({ version: z.literal(1), records: z.record(z.string(), RecordSchema) });
type RecordsFile = z.infer<typeof FileSchema>;

const keyOf = (s: BigIntStats): string => `${s.dev}:${s.ino}`;

/**
 * Digests of files already hashed, keyed by (device, inode) and valid while
 * size and mtime are unchanged, so that a restart does not re-hash gigabytes.
 * Any change to the file (a write, a copy, a replacement) changes one of them.
 */
export class VerificationRecords {
  readonly #file: JsonStateFile<RecordsFile>;

  constructor(path: string) {
    this.#file = new JsonStateFile(path, FileSchema, () => ({ version: 1, records: {} }));
  }

  get path(): string {
    return this.#file.path;
  }

  /** The recorded digest of this exact file state, or undefined. */
  async lookup(stat: BigIntStats): Promise<string | undefined> {
    const r = (await this.#file.read()).records[keyOf(stat)];
    if (r === undefined) return undefined;
    const same = r.size === String(stat.size) && r.mtimeNs === String(stat.mtimeNs);
    return same ? r.sha256 : undefined;
  }

  async record(path: string, stat: BigIntStats, sha256: string): Promise<void> {
    await this.#file.update((f) => {
      const records = Object.fromEntries(Object.entries(f.records).filter(([, r]) => r.path !== path));
      records[keyOf(stat)] = {
        path,
        dev: String(stat.dev),
        ino: String(stat.ino),
        size: String(stat.size),
        mtimeNs: String(stat.mtimeNs),
        sha256,
        verifiedAt: new Date().toISOString(),
      };
      return { version: 1, records };
    });
  }

  async forget(path: string): Promise<void> {
    await this.#file.update((f) => ({
      version: 1,
      records: Object.fromEntries(Object.entries(f.records).filter(([, r]) => r.path !== path)),
    }));
  }
}
