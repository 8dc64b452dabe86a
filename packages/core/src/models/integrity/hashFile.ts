import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { AbortedError, ModelCorruptError, ModelNotFoundError } from "../../errors/index.ts";

export interface HashProgress {
  hashedBytes: number;
  totalBytes: number;
}

export interface HashFileOptions {
  signal?: AbortSignal;
  /** Called after each chunk. */
  onProgress?: (progress: HashProgress) => void;
  /** Size to report as the total (from a stat the caller already made). Defaults to `0` (unknown). */
  totalBytes?: number;
}

export interface HashResult {
  sha256: string;
  bytes: number;
  ms: number;
}

/** Streams a file through sha256 in 4 MiB chunks (never whole in memory). */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<HashResult> {
  const started = performance.now();
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024, signal: options.signal });
  try {
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      options.onProgress?.({ hashedBytes: bytes, totalBytes: options.totalBytes ?? 0 });
    }
  } catch (err) {
    if (options.signal?.aborted) throw new AbortedError(`hashing ${path} was aborted`, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ModelNotFoundError(`no model file at ${path}`, { cause: err });
    throw new ModelCorruptError(`cannot read ${path}: ${code ?? String(err)}`, {
      cause: err,
      details: { path },
    });
  }
  return { sha256: hash.digest("hex"), bytes, ms: performance.now() - started };
}
