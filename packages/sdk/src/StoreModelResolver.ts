import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { ModelStore } from "@sluice/core";
import type { ModelResolver, PullProgress, ResolvedModelFile } from "./options.ts";

/**
 * The model store of @sluice/core as the SDK's resolver: catalog ids, paths
 * and URIs become verified local files (GGUF structure and sha256 checked,
 * downloads resumable, corrupt files quarantined and fetched again).
 *
 * Sources come from the application's own options, so local files may be
 * named as the docs promise: a relative path (`./models/m.gguf`) resolves
 * against the working directory, a bare file name (`m.gguf`) is looked up in
 * the store's directories, then the working directory. The store itself takes
 * only ids, URIs and absolute paths, because it also sees references from
 * API clients.
 */
export class StoreModelResolver implements ModelResolver {
  readonly #store: ModelStore;

  constructor(store: ModelStore) {
    this.#store = store;
  }

  async resolve(
    source: string,
    options: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {},
  ): Promise<ResolvedModelFile> {
    const onProgress = options.onProgress;
    const resolved = await this.#store.resolve(await this.#local(source), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress
        ? {
            onProgress: (p) =>
              onProgress({
                model: source,
                phase: p.phase === "hash" ? "verify" : "download",
                transferredBytes: p.bytes,
                totalBytes: p.totalBytes,
              }),
          }
        : {}),
    });
    return { path: resolved.path, sha256: resolved.sha256, size: resolved.summary.fileSize };
  }

  async verify(source: string): Promise<ResolvedModelFile> {
    const resolved = await this.#store.verify(await this.#local(source));
    return { path: resolved.path, sha256: resolved.sha256, size: resolved.summary.fileSize };
  }

  /** An absolute path for a source that names a local file relatively; other sources unchanged. */
  async #local(source: string): Promise<string> {
    if (isAbsolute(source) || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(source)) return source;
    if (source.startsWith(".") || source.includes("/") || source.includes("\\")) return resolve(source);
    if (!source.toLowerCase().endsWith(".gguf")) return source;
    for (const dir of [this.#store.modelsDir, ...this.#store.extraDirs, process.cwd()]) {
      const candidate = resolve(join(dir, source));
      if (
        await stat(candidate).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        return candidate;
    }
    return source;
  }
}
