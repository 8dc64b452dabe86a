import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  AbortedError,
  DownloadFailedError,
  isSluiceError,
  ModelNotFoundError,
  type SluiceError,
} from "../../errors/index.ts";
import { checkUrlAllowed, type HostPolicy } from "../refs/hostPolicy.ts";
import { PARTIAL_SUFFIX, tempNameFor } from "./tempFiles.ts";

const MAX_REDIRECTS = 10;

export interface RemoteFile {
  /** The URL after redirects, every hop checked against the host policy. */
  url: URL;
  /** Size from Content-Range, when the server gave one. */
  totalBytes?: number;
  /** Hugging Face's X-Linked-Etag when it is a sha256 (the LFS object id). */
  linkedSha256?: string;
}

function toDownloadError(err: unknown, url: URL, signal?: AbortSignal): SluiceError {
  if (isSluiceError(err)) return err;
  if (signal?.aborted) return new AbortedError(`download from ${url.host} was aborted`, { cause: err });
  return new DownloadFailedError(
    `download from ${url.host} failed: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
      details: { host: url.host },
    },
  );
}

/**
 * Follows redirects by hand (`redirect: "manual"`) so that every target is
 * checked against the host policy before it is requested. Probes with a
 * one-byte range request, then drops the body.
 */
export async function resolveRemoteFile(
  start: URL,
  policy: HostPolicy,
  options: { signal?: AbortSignal; authorization?: string } = {},
): Promise<RemoteFile> {
  let url = checkUrlAllowed(start, policy);
  let linkedSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { range: "bytes=0-0", "accept-encoding": "identity" };
    if (options.authorization && url.host === "huggingface.co") headers.authorization = options.authorization;
    let res: Response;
    try {
      res = await fetch(url, { method: "GET", redirect: "manual", headers, signal: options.signal });
    } catch (err) {
      throw toDownloadError(err, url, options.signal);
    }
    await res.body?.cancel().catch(() => {});
    const etag = res.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
    if (etag && /^[0-9a-f]{64}$/.test(etag)) linkedSha256 = etag;
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      if (!location) throw new DownloadFailedError(`redirect from ${url.host} without a location`);
      url = checkUrlAllowed(new URL(location, url), policy, "redirect target");
      continue;
    }
    if (res.status === 404) throw new ModelNotFoundError(`no model file at ${url.origin}${url.pathname}`);
    if (res.status === 401 || res.status === 403) {
      throw new DownloadFailedError(`${url.host} refused access (${res.status}); the model may be gated`, {
        retryable: false,
      });
    }
    if (res.status !== 200 && res.status !== 206) {
      throw new DownloadFailedError(`${url.host} answered ${res.status}`, {
        details: { status: res.status },
      });
    }
    const total = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1];
    return {
      url,
      ...(total ? { totalBytes: Number(total) } : {}),
      ...(linkedSha256 ? { linkedSha256 } : {}),
    };
  }
  throw new DownloadFailedError(`more than ${MAX_REDIRECTS} redirects from ${start.host}`);
}

export interface DownloadToTempOptions {
  dir: string;
  storageName: string;
  signal?: AbortSignal;
  onProgress?: (downloadedBytes: number, totalBytes: number) => void;
  authorization?: string;
}

/**
 * Downloads `url` with node-llama-cpp's downloader (ipull: ranged parallel
 * connections, retries) into a fresh temp file (mode 0600) in `dir`, then
 * fsyncs it. Returns the temp path; on any failure no temp file is left.
 */
export async function downloadToTemp(url: URL, options: DownloadToTempOptions): Promise<string> {
  const tempName = tempNameFor(options.storageName);
  const tempPath = join(options.dir, tempName);
  const partialPath = tempPath + PARTIAL_SUFFIX;
  try {
    // Created here so that its mode is 0600: the downloader opens an existing file as is.
    await (await open(partialPath, "wx", 0o600)).close();
    // Loaded on first download: importing the catalog or the validator must not pull in the bindings.
    const { createModelDownloader } = await import("node-llama-cpp");
    const downloader = await createModelDownloader({
      modelUri: url.href,
      dirPath: options.dir,
      fileName: tempName,
      skipExisting: false,
      deleteTempFileOnCancel: true,
      // Tokens only come from our options: no environment lookups inside the package.
      tokens: { huggingFace: null as unknown as string },
      ...(options.authorization && url.host === "huggingface.co"
        ? { headers: { authorization: options.authorization } }
        : {}),
      onProgress: ({ downloadedSize, totalSize }) => options.onProgress?.(downloadedSize, totalSize),
    });
    if (options.signal?.aborted) throw new AbortedError("download aborted");
    await downloader.download(options.signal ? { signal: options.signal } : {});
    const handle = await open(tempPath, "r+");
    try {
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return tempPath;
  } catch (err) {
    await rm(partialPath, { force: true });
    await rm(tempPath, { force: true });
    throw toDownloadError(err, url, options.signal);
  }
}
