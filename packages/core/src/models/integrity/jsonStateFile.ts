import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import type { z } from "zod";

/**
 * A small JSON file of store state (verification records, pinned digests)
 * shared by processes: reads are lock-free, updates hold a proper-lockfile
 * lock and replace the file atomically (temp file, fsync, rename), so a
 * reader sees the old or the new content, never half of it.
 */
export class JsonStateFile<T> {
  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly empty: () => T,
  ) {}

  /** The current content; an absent or unreadable file reads as empty (it is a cache or is rebuilt). */
  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch {
      return this.empty();
    }
    try {
      const parsed = this.schema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : this.empty();
    } catch {
      return this.empty();
    }
  }

  /** Applies `change` to the freshest content under a cross-process lock. */
  async update(change: (current: T) => T): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true });
    const release = await lockfile.lock(this.path, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 50, minTimeout: 10, maxTimeout: 200, factor: 1.5 },
      // A lost lock costs at most one lost update of a cache-like file; never crash for it.
      onCompromised: () => {},
    });
    try {
      const next = change(await this.read());
      const tmp = join(
        dirname(this.path),
        `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
      );
      try {
        const handle = await open(tmp, "wx", 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(next, null, 2)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, this.path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return next;
    } finally {
      await release();
    }
  }
}
