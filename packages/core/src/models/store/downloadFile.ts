import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  AbortedError,
  DownloadFailedError,
  isSluiceError,
  ModelNotFoundError,
  type SluiceError,
} from "../../errors/index.ts";
import { checkUrlAllowed, type HostPolicy } from "../refs/hostPolicy.ts";
import { tempNameFor } from "./tempFiles.ts";

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
 * GET `start`, following redirects by hand (`redirect: "manual"`) so that
 * every target is checked against the host policy before it is requested.
 * Returns the final response (its body unread) and the URL it came from.
 */
async function fetchChecked(
  start: URL,
  policy: HostPolicy,
  options: { signal?: AbortSignal; authorization?: string; range?: string },
): Promise<{ url: URL; res: Response; linkedSha256?: string }> {
  let url = checkUrlAllowed(start, policy);
  let linkedSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (options.range) headers.range = options.range;
    if (options.authorization && url.host === "huggingface.co") headers.authorization = options.authorization;
    let res: Response;
    try {
      res = await fetch(url, { method: "GET", redirect: "manual", headers, signal: options.signal });
    } catch (err) {
      throw toDownloadError(err, url, options.signal);
    }
    const etag = res.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
    if (etag && /^[0-9a-f]{64}$/.test(etag)) linkedSha256 = etag;
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      const location = res.headers.get("location");
      if (!location) throw new DownloadFailedError(`redirect from ${url.host} without a location`);
      url = checkUrlAllowed(new URL(location, url), policy, "redirect target");
      continue;
    }
    if (res.status === 200 || res.status === 206)
      return { url, res, ...(linkedSha256 ? { linkedSha256 } : {}) };
    await res.body?.cancel().catch(() => {});
    if (res.status === 404) throw new ModelNotFoundError(`no model file at ${url.origin}${url.pathname}`);
    if (res.status === 401 || res.status === 403) {
      throw new DownloadFailedError(`${url.host} refused access (${res.status}); the model may be gated`, {
        retryable: false,
      });
    }
    throw new DownloadFailedError(`${url.host} answered ${res.status}`, { details: { status: res.status } });
  }
  throw new DownloadFailedError(`more than ${MAX_REDIRECTS} redirects from ${start.host}`);
}

/**
 * Where `start` leads once every redirect is checked, its size and its
 * Hugging Face digest: a one-byte range request whose body is dropped.
 */
export async function resolveRemoteFile(
  start: URL,
  policy: HostPolicy,
  options: { signal?: AbortSignal; authorization?: string } = {},
): Promise<RemoteFile> {
  const { url, res, linkedSha256 } = await fetchChecked(start, policy, { ...options, range: "bytes=0-0" });
  await res.body?.cancel().catch(() => {});
  const total = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1];
  return {
    url,
    ...(total ? { totalBytes: Number(total) } : {}),
    ...(linkedSha256 ? { linkedSha256 } : {}),
  };
}

export interface DownloadToTempOptions {
  dir: string;
  storageName: string;
  /** Hosts a redirect may lead to (every hop is checked again). */
  policy: HostPolicy;
  signal?: AbortSignal;
  onProgress?: (downloadedBytes: number, totalBytes: number) => void;
  authorization?: string;
}

/**
 * Streams `url` into a fresh temp file (mode 0600, created exclusively) in
 * `dir`, then fsyncs and closes it. Returns the temp path; on any failure no
 * temp file is left. One connection, written in order, and nothing else
 * writes the file: the downloader Sluice used before (ipull, through
 * node-llama-cpp) saved resume metadata after the file's end from a write it
 * did not wait for, and a write that landed after its final truncate left the
 * file longer than the server's size (seen in CI: 655,455 bytes of 655,392).
 */
export async function downloadToTemp(url: URL, options: DownloadToTempOptions): Promise<string> {
  const tempPath = join(options.dir, tempNameFor(options.storageName));
  let handle: FileHandle | undefined;
  try {
    handle = await open(tempPath, "wx", 0o600);
    const { res } = await fetchChecked(url, options.policy, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.authorization ? { authorization: options.authorization } : {}),
    });
    if (!res.body) throw new DownloadFailedError(`${url.host} sent no body`);
    const total = Number(res.headers.get("content-length") ?? 0) || 0;
    let written = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      written += chunk.length;
      options.onProgress?.(written, total);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    return tempPath;
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw toDownloadError(err, url, options.signal);
  }
}
