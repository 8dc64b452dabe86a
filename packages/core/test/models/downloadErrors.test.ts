import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AbortedError,
  DownloadFailedError,
  ModelCorruptError,
  ModelNotFoundError,
} from "../../src/errors/index.ts";
import { createHostPolicy } from "../../src/models/index.ts";
import { downloadToTemp, resolveRemoteFile } from "../../src/models/store/downloadFile.ts";
import { buildGguf, LFM2_TINY, lfm2Spec } from "./fixtures/ggufFixture.ts";
import { type ModelServer, startModelServer } from "./fixtures/modelServer.ts";
import { cleanup, modelFilesIn, recordEvents, storeFor, tempDir } from "./fixtures/storeHarness.ts";

const tiny = buildGguf(lfm2Spec(LFM2_TINY));
const tinySha = createHash("sha256").update(tiny).digest("hex");

describe("model downloads from a server that refuses or misbehaves", () => {
  let server: ModelServer;
  let dir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.reset();
    dir = await tempDir();
    dirs.push(dir);
  });
  afterEach(() => cleanup(dirs));

  /** Answers every request to `path` with a bare status and these headers. */
  const answer = (path: string, status: number, headers: Record<string, string> = {}) =>
    server.routes.set(path, (_req, res) => {
      res.writeHead(status, headers);
      res.end();
    });

  it("answers MODEL_NOT_FOUND for a file the server does not have, after one request", async () => {
    const store = storeFor(dir, server, [{ id: "gone", uri: server.url("/gone.gguf") }]);
    const err = await store.resolve("gone").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect(err).toMatchObject({
      code: "MODEL_NOT_FOUND",
      message: `no model file at http://${server.host}/gone.gguf`,
    });
    expect(server.requests.map((r) => [r.path, r.range])).toEqual([["/gone.gguf", "bytes=0-0"]]);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it.each([401, 403])(
    "reports a %i as a refused (possibly gated) download that retrying will not fix",
    async (status) => {
      answer("/gated.gguf", status);
      const store = storeFor(dir, server, [{ id: "gated", uri: server.url("/gated.gguf") }]);
      const err = await store.pull("gated").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadFailedError);
      expect(err).toMatchObject({
        code: "DOWNLOAD_FAILED",
        retryable: false,
        message: `${server.host} refused access (${status}); the model may be gated`,
      });
      expect(server.requests).toHaveLength(1);
      expect(await modelFilesIn(dir)).toEqual([]);
    },
  );

  it("reports another error status as a retryable DOWNLOAD_FAILED naming the status", async () => {
    answer("/busy.gguf", 503);
    const store = storeFor(dir, server, [{ id: "busy", uri: server.url("/busy.gguf") }]);
    const err = await store.resolve("busy").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailedError);
    expect(err).toMatchObject({
      code: "DOWNLOAD_FAILED",
      retryable: true,
      message: `${server.host} answered 503`,
      details: { status: 503 },
    });
    expect(server.requests).toHaveLength(1);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("refuses a redirect that names no location", async () => {
    answer("/nowhere.gguf", 302);
    const store = storeFor(dir, server, [{ id: "nowhere", uri: server.url("/nowhere.gguf") }]);
    const err = await store.resolve("nowhere").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailedError);
    expect(err).toMatchObject({
      code: "DOWNLOAD_FAILED",
      message: `redirect from ${server.host} without a location`,
    });
    expect(server.requests).toHaveLength(1);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("gives up on a redirect loop after ten redirects", async () => {
    server.redirects.set("/loop.gguf", "/loop.gguf");
    const store = storeFor(dir, server, [{ id: "loop", uri: server.url("/loop.gguf") }]);
    const err = await store.resolve("loop").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailedError);
    expect(err).toMatchObject({
      code: "DOWNLOAD_FAILED",
      message: `more than 10 redirects from ${server.host}`,
    });
    // The first request and ten redirects followed, every one of them the probe.
    expect(server.requests).toHaveLength(11);
    expect(new Set(server.requests.map((r) => `${r.path} ${r.range}`))).toEqual(
      new Set(["/loop.gguf bytes=0-0"]),
    );
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("reports a host that refuses the connection as a retryable DOWNLOAD_FAILED naming the host", async () => {
    const closed = await startModelServer();
    await closed.close();
    const store = storeFor(dir, closed, [{ id: "down", uri: closed.url("/down.gguf") }]);
    const err = await store.resolve("down").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailedError);
    expect(err).toMatchObject({
      code: "DOWNLOAD_FAILED",
      retryable: true,
      message: expect.stringMatching(new RegExp(`^download from ${closed.host} failed: `)),
      details: { host: closed.host },
    });
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("drops the partial file when the connection breaks mid-transfer", async () => {
    server.routes.set("/cut.gguf", (req, res) => {
      if (req.headers.range === "bytes=0-0") {
        res.writeHead(206, { "content-range": `bytes 0-0/${tiny.length}`, "content-length": "1" });
        res.end(tiny.subarray(0, 1));
        return;
      }
      res.writeHead(200, { "content-length": String(tiny.length) });
      res.write(tiny.subarray(0, 4096), () => res.destroy());
    });
    const store = storeFor(dir, server, [{ id: "cut", uri: server.url("/cut.gguf") }]);
    const events = recordEvents(store, ["download-start", "download-done"]);
    const err = await store.resolve("cut").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailedError);
    expect(err).toMatchObject({
      code: "DOWNLOAD_FAILED",
      retryable: true,
      message: expect.stringMatching(new RegExp(`^download from ${server.host} failed: `)),
      details: { host: server.host },
    });
    expect(events.count("download-start")).toBe(1);
    expect(events.count("download-done")).toBe(0);
    expect(server.requests.map((r) => r.range)).toEqual(["bytes=0-0", undefined]);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("quarantines a download whose size differs from the size the server announced", async () => {
    const announced = tiny.length + 100;
    server.routes.set("/short.gguf", (req, res) => {
      if (req.headers.range === "bytes=0-0") {
        res.writeHead(206, { "content-range": `bytes 0-0/${announced}`, "content-length": "1" });
        res.end(tiny.subarray(0, 1));
        return;
      }
      res.writeHead(200, { "content-length": String(tiny.length) });
      res.end(tiny);
    });
    const store = storeFor(dir, server, [{ id: "short", uri: server.url("/short.gguf") }]);
    const events = recordEvents(store, ["quarantine", "pin", "download-done"]);
    const err = await store.resolve("short").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCorruptError);
    expect(err).toMatchObject({
      code: "MODEL_CORRUPT",
      message: `download of short is ${tiny.length} bytes, the server announced ${announced}`,
    });
    const [q] = events.of("quarantine");
    expect(q?.key).toBe("short");
    expect((err as ModelCorruptError).details.quarantinePath).toBe(q?.quarantinePath);
    expect(await readFile(q!.quarantinePath)).toEqual(tiny);
    expect(events.count("pin")).toBe(0);
    expect(events.count("download-done")).toBe(0);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("downloads from a server that ignores ranges and sends no length, reporting the total as 0", async () => {
    server.routes.set("/plain.gguf", (_req, res) => {
      // Chunked, no Content-Length and no Content-Range, whatever was asked.
      res.writeHead(200);
      res.write(tiny.subarray(0, 1000));
      res.end(tiny.subarray(1000));
    });
    const store = storeFor(dir, server, [{ id: "plain", uri: server.url("/plain.gguf") }]);
    const events = recordEvents(store, ["download-progress"]);
    const resolved = await store.resolve("plain");
    expect(resolved).toMatchObject({ source: "download", sha256: tinySha, path: join(dir, "plain.gguf") });
    expect(await readFile(resolved.path)).toEqual(tiny);
    const progress = events.of("download-progress");
    expect(progress.at(-1)).toEqual({ key: "plain", downloadedBytes: tiny.length, totalBytes: 0 });
    expect(progress.every((p) => p.totalBytes === 0)).toBe(true);
    expect(server.requests.map((r) => r.range)).toEqual(["bytes=0-0", undefined]);
    expect(await modelFilesIn(dir)).toEqual(["plain.gguf"]);
  });

  it("never sends the Hugging Face token to another host", async () => {
    server.files.set("/tiny.gguf", tiny);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }], {
      huggingFaceToken: "hf_secret_token",
    });
    await expect(store.resolve("tiny")).resolves.toMatchObject({ sha256: tinySha, source: "download" });
    expect(server.requests.map((r) => [r.range, r.authorization])).toEqual([
      ["bytes=0-0", undefined],
      [undefined, undefined],
    ]);
  });
});

describe("downloadToTemp and resolveRemoteFile", () => {
  let server: ModelServer;
  let dir: string;
  const dirs: string[] = [];
  const policy = () => createHostPolicy([], [server.host]);

  beforeAll(async () => {
    server = await startModelServer();
    server.files.set("/tiny.gguf", tiny);
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.requests.length = 0;
    server.throttle = undefined;
    dir = await tempDir();
    dirs.push(dir);
  });
  afterEach(() => cleanup(dirs));

  it("resolves the size and the linked digest behind a redirect, checking each hop", async () => {
    server.redirects.set("/moved.gguf", "/tiny.gguf");
    server.headers.set("/tiny.gguf", { "x-linked-etag": `W/"${tinySha}"` });
    try {
      const remote = await resolveRemoteFile(new URL(server.url("/moved.gguf")), policy());
      expect(remote).toEqual({
        url: new URL(server.url("/tiny.gguf")),
        totalBytes: tiny.length,
        linkedSha256: tinySha,
      });
      expect(server.requests.map((r) => [r.path, r.range])).toEqual([
        ["/moved.gguf", "bytes=0-0"],
        ["/tiny.gguf", "bytes=0-0"],
      ]);
    } finally {
      server.redirects.clear();
      server.headers.clear();
    }
  });

  it("writes the whole file to a private temp file beside the final path", async () => {
    const seen: [number, number][] = [];
    const path = await downloadToTemp(new URL(server.url("/tiny.gguf")), {
      dir,
      storageName: "tiny.gguf",
      policy: policy(),
      onProgress: (bytes, total) => seen.push([bytes, total]),
    });
    expect(path.startsWith(join(dir, ".tiny.gguf."))).toBe(true);
    expect(path.endsWith(".sluice-tmp")).toBe(true);
    expect(await readFile(path)).toEqual(tiny);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(seen.at(-1)).toEqual([tiny.length, tiny.length]);
    expect(server.requests.map((r) => [r.range, r.authorization])).toEqual([[undefined, undefined]]);
    await rm(path);
  });

  it("fails with ABORTED and leaves no temp file when aborted before a request is made", async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await downloadToTemp(new URL(server.url("/tiny.gguf")), {
      dir,
      storageName: "tiny.gguf",
      policy: policy(),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ code: "ABORTED", message: `download from ${server.host} was aborted` });
    expect(server.requests).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("fails with ABORTED and removes the partial temp file when aborted mid-transfer", async () => {
    server.throttle = { chunk: 4 * 1024, ms: 20 };
    const controller = new AbortController();
    let progressCalls = 0;
    const err = await downloadToTemp(new URL(server.url("/tiny.gguf")), {
      dir,
      storageName: "tiny.gguf",
      policy: policy(),
      signal: controller.signal,
      onProgress: () => {
        progressCalls++;
        controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ code: "ABORTED", message: `download from ${server.host} was aborted` });
    expect(progressCalls).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
