import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { ModelCorruptError, ModelNotFoundError } from "@sluice/core";
import type { ModelResolver, PullProgress, ResolvedModelFile } from "./options.ts";

/**
 * Resolves local GGUF files: an absolute path, or a file name searched in the
 * given directories. It downloads nothing, so it serves machines without the
 * model store (and tests). Digests are remembered per (path, size, mtime) so
 * an unchanged file is hashed once per process.
 */
export class LocalModelResolver implements ModelResolver {
  readonly #dirs: readonly string[];
  readonly #digests = new Map<string, { key: string; sha256: string }>();

  constructor(dirs: readonly string[] = []) {
    this.#dirs = dirs;
  }

  async resolve(
    source: string,
    options: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {},
  ): Promise<ResolvedModelFile> {
    const path = await this.#find(source);
    const info = await stat(path);
    const key = `${info.size}:${info.mtimeMs}:${info.ino}`;
    const known = this.#digests.get(path);
    if (known?.key === key) return { path, sha256: known.sha256, size: info.size };
    const sha256 = await hashFile(path, info.size, (done) =>
      options.onProgress?.({ model: source, phase: "verify", transferredBytes: done, totalBytes: info.size }),
    );
    this.#digests.set(path, { key, sha256 });
    return { path, sha256, size: info.size };
  }

  async verify(source: string): Promise<ResolvedModelFile> {
    const path = await this.#find(source);
    const known = this.#digests.get(path);
    const info = await stat(path);
    const sha256 = await hashFile(path, info.size);
    if (known !== undefined && known.sha256 !== sha256)
      throw new ModelCorruptError(`${source} changed: sha256 ${sha256} differs from ${known.sha256}`, {
        details: { expected: known.sha256, actual: sha256 },
      });
    this.#digests.set(path, { key: `${info.size}:${info.mtimeMs}:${info.ino}`, sha256 });
    return { path, sha256, size: info.size };
  }

  async #find(source: string): Promise<string> {
    const candidates = isAbsolute(source)
      ? [source]
      : [...this.#dirs.map((d) => resolve(d, source)), resolve(source)];
    for (const candidate of candidates) {
      const ok = await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      );
      if (ok) return candidate;
    }
    throw new ModelNotFoundError(`model ${source} was not found`, { details: { model: source } });
  }
}

function hashFile(path: string, size: number, onProgress?: (done: number) => void): Promise<string> {
  return new Promise((ok, fail) => {
    const hash = createHash("sha256");
    let done = 0;
    let lastReport = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on("data", (chunk) => {
        hash.update(chunk);
        done += chunk.length;
        if (onProgress && (done - lastReport > 64 << 20 || done === size)) {
          lastReport = done;
          onProgress(done);
        }
      })
      .on("error", fail)
      .on("end", () => ok(hash.digest("hex")));
  });
}
