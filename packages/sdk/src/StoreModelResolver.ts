import type { ModelStore } from "@sluice/core";
import type { ModelResolver, PullProgress, ResolvedModelFile } from "./options.ts";

/**
 * The model store of @sluice/core as the SDK's resolver: catalog ids, paths
 * and URIs become verified local files (GGUF structure and sha256 checked,
 * downloads resumable, corrupt files quarantined and fetched again).
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
    const resolved = await this.#store.resolve(source, {
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
    const resolved = await this.#store.verify(source);
    return { path: resolved.path, sha256: resolved.sha256, size: resolved.summary.fileSize };
  }
}
