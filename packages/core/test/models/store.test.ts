import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createModelStore } from "../../src/models/index.ts";
import { buildGguf, LFM2_TINY, lfm2Spec, llamaSpec } from "./fixtures/ggufFixture.ts";
import { type ModelServer, startModelServer } from "./fixtures/modelServer.ts";
import { itWithStories, STORIES_SHA256 } from "./fixtures/sharedModels.ts";
import { cleanup, recordEvents, storeFor, tempDir, tempFilesIn } from "./fixtures/storeHarness.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const tiny = buildGguf(lfm2Spec(LFM2_TINY));
const tinySha = sha(tiny);

describe("model store", () => {
  let server: ModelServer;
  let dir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.reset();
    server.files.set("/tiny.gguf", tiny);
    dir = await tempDir();
    dirs.push(dir);
  });
  afterEach(() => cleanup(dirs));

  it("downloads a missing model, verifies it, and pins its digest with a warning event", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    const events = recordEvents(store, ["download-start", "download-done", "pin", "hash"]);
    const resolved = await store.resolve("tiny");
    expect(resolved).toMatchObject({ path: join(dir, "tiny.gguf"), sha256: tinySha, source: "download" });
    expect(resolved.summary.architecture).toBe("lfm2");
    expect(await readFile(resolved.path)).toEqual(tiny);
    expect((await stat(resolved.path)).mode & 0o777).toBe(0o600);
    expect(events.of("pin")).toEqual([{ key: "tiny", sha256: tinySha, lockFile: store.lockFile }]);
    const lock = JSON.parse(await readFile(store.lockFile, "utf8"));
    expect(lock.pins.tiny).toMatchObject({ sha256: tinySha, sizeBytes: tiny.length, fileName: "tiny.gguf" });
    expect(server.counts().probes).toBe(1);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("serves the second resolve from disk without a request or a hash", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    await store.resolve("tiny");
    const before = server.requests.length;
    const events = recordEvents(store, ["hash", "verify"]);
    const again = await store.resolve("tiny");
    expect(again.source).toBe("models-dir");
    expect(server.requests.length).toBe(before);
    expect(events.count("hash")).toBe(0);
    expect(events.of("verify")[0]?.cached).toBe(true);
  });

  it("enforces a pinned digest: a changed remote file is refused as MODEL_CORRUPT and quarantined", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    await store.resolve("tiny");
    await store.remove("tiny");
    server.files.set("/tiny.gguf", buildGguf(lfm2Spec({ ...LFM2_TINY, ff: 64 })));
    const events = recordEvents(store, ["quarantine"]);
    await expect(store.resolve("tiny")).rejects.toMatchObject({
      code: "MODEL_CORRUPT",
      details: { reason: "sha256 mismatch", expected: tinySha },
    });
    expect(existsSync(join(dir, "tiny.gguf"))).toBe(false);
    expect(events.count("quarantine")).toBe(1);
    expect(await readdir(store.quarantineDir)).toHaveLength(2); // the file and its note
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("quarantines a file whose checksum no longer matches and restores it from the source", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }]);
    const { path } = await store.resolve("tiny");
    await flipByte(path, tiny.length - 100); // inside tensor data: structure stays valid
    const events = recordEvents(store, ["quarantine", "download-done"]);
    await expect(store.verify("tiny")).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
    expect(existsSync(path)).toBe(false);
    const [q] = events.of("quarantine");
    expect(q?.path).toBe(path);
    expect(existsSync(q!.quarantinePath)).toBe(true);
    const note = JSON.parse(await readFile(`${q!.quarantinePath}.json`, "utf8"));
    expect(note.error.code).toBe("MODEL_CORRUPT");

    const restored = await store.resolve("tiny");
    expect(restored.source).toBe("download");
    expect(sha(await readFile(path))).toBe(tinySha);
    expect(events.count("download-done")).toBe(1);
  });

  it("re-fetches a corrupt local copy during resolve, emitting the quarantine", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }]);
    const { path } = await store.resolve("tiny");
    await flipByte(path, 200); // inside the header
    const events = recordEvents(store, ["quarantine", "download-done"]);
    const resolved = await store.resolve("tiny");
    expect(resolved.sha256).toBe(tinySha);
    expect(events.count("quarantine")).toBe(1);
    expect(events.count("download-done")).toBe(1);
  });

  it("refuses a structurally broken download before it reaches the final path", async () => {
    const broken = Buffer.from(tiny.subarray(0, tiny.length - 10));
    server.files.set("/broken.gguf", broken);
    const store = storeFor(dir, server, [{ id: "broken", uri: server.url("/broken.gguf") }]);
    await expect(store.resolve("broken")).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
    expect(existsSync(join(dir, "broken.gguf"))).toBe(false);
    expect(await tempFilesIn(dir)).toEqual([]);
    expect(JSON.parse(await readFile(store.lockFile, "utf8").catch(() => '{"pins":{}}')).pins).toEqual({});
  });

  it("uses a digest the server links (X-Linked-Etag) when the catalog has none", async () => {
    server.headers.set("/tiny.gguf", { "x-linked-etag": `"${"0".repeat(64)}"` });
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    await expect(store.resolve("tiny")).rejects.toMatchObject({ code: "MODEL_CORRUPT" });
    server.headers.set("/tiny.gguf", { "x-linked-etag": `"${tinySha}"` });
    await expect(store.resolve("tiny")).resolves.toMatchObject({ sha256: tinySha });
  });

  it("finds a model in an extra directory without downloading it", async () => {
    const extra = await tempDir("sluice-extra-");
    dirs.push(extra);
    const llama = buildGguf(llamaSpec());
    await writeFile(join(extra, "tiny.gguf"), llama);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: sha(llama) }], {
      extraDirs: [extra],
    });
    const resolved = await store.resolve("tiny");
    expect(resolved).toMatchObject({ path: join(extra, "tiny.gguf"), source: "extra-dir" });
    expect(server.requests).toEqual([]);
  });

  it("skips a corrupt copy in an extra directory without moving it, then downloads", async () => {
    const extra = await tempDir("sluice-extra-");
    dirs.push(extra);
    const bad = Buffer.from(tiny);
    bad[tiny.length - 1]! ^= 1;
    await writeFile(join(extra, "tiny.gguf"), bad);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }], {
      extraDirs: [extra],
    });
    const events = recordEvents(store, ["rejected"]);
    const resolved = await store.resolve("tiny");
    expect(resolved.source).toBe("download");
    expect(events.count("rejected")).toBe(1);
    expect(existsSync(join(extra, "tiny.gguf"))).toBe(true);
  });

  it("shares one download between concurrent resolves in a process", async () => {
    server.throttle = { chunk: 64 * 1024, ms: 5 };
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    const [a, b, c] = await Promise.all([store.resolve("tiny"), store.resolve("tiny"), store.pull("tiny")]);
    expect(new Set([a.path, b.path, c.path]).size).toBe(1);
    expect(server.counts()).toMatchObject({ probes: 1, infoGets: 1 });
  });

  it("aborts a download on request and leaves neither the file nor a temp file", async () => {
    server.throttle = { chunk: 8 * 1024, ms: 20 };
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    const controller = new AbortController();
    const started = new Promise<void>((r) => store.on("download-progress", () => r()));
    const pending = store.resolve("tiny", { signal: controller.signal });
    await started;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    await waitFor(async () => (await tempFilesIn(dir)).length === 0);
    expect(existsSync(join(dir, "tiny.gguf"))).toBe(false);
  });

  it("removes temp files left by a crash when it starts, and reports them", async () => {
    await mkdir(dir, { recursive: true });
    const leftovers = [".tiny.gguf.4242.0123abcd.sluice-tmp", ".tiny.gguf.4242.0123abcd.sluice-tmp.ipull"];
    for (const name of leftovers) await writeFile(join(dir, name), "partial");
    await writeFile(join(dir, "keep.txt"), "not ours");
    const store = storeFor(dir, server, []);
    const events = recordEvents(store, ["stale-temp-removed"]);
    await store.ready();
    expect(events.count("stale-temp-removed")).toBe(2);
    expect(await readdir(dir)).toContain("keep.txt");
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it("lists catalog entries with where their files are, and removes one", async () => {
    const store = storeFor(dir, server, [
      { id: "tiny", uri: server.url("/tiny.gguf") },
      { id: "other", uri: server.url("/other.gguf") },
    ]);
    await store.resolve("tiny");
    const listed = await store.list();
    expect(listed.map((l) => [l.entry.id, l.location, l.sizeBytes])).toEqual([
      ["tiny", "models-dir", tiny.length],
      ["other", undefined, undefined],
    ]);
    expect(await store.remove("tiny")).toBe(join(dir, "tiny.gguf"));
    await expect(store.remove("tiny")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
  });

  it("verifies a file by path in place against a digest given or known for its name", async () => {
    const copy = join(dir, "loose.gguf");
    await copyFile(
      await storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }])
        .resolve("tiny")
        .then((r) => r.path),
      copy,
    );
    const store = storeFor(dir, server, []);
    await expect(store.verify({ path: copy, sha256: tinySha })).resolves.toMatchObject({ source: "path" });
    await expect(store.verify({ path: copy, sha256: "f".repeat(64) })).rejects.toMatchObject({
      code: "MODEL_CORRUPT",
    });
    expect(existsSync(copy)).toBe(true);
    await expect(store.resolve(copy)).resolves.toMatchObject({ path: copy, sha256: tinySha });
  });
});

async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, at);
    b[0]! ^= 0x01;
    await handle.write(b, 0, 1, at);
  } finally {
    await handle.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("model store with the shipped catalog", () => {
  const dirs: string[] = [];
  afterEach(() => cleanup(dirs));

  itWithStories("resolves stories260K from an extra directory against the catalog's digest", async (path) => {
    const modelsDir = await tempDir();
    dirs.push(modelsDir);
    const store = createModelStore({ modelsDir, extraDirs: [dirname(path)] });
    const resolved = await store.resolve("stories260K");
    expect(resolved).toMatchObject({ path, source: "extra-dir", sha256: STORIES_SHA256 });
    expect(resolved.entry?.license).toBe("MIT");
    await expect(store.resolve("hf:ggml-org/models/tinyllamas/stories260K.gguf")).resolves.toMatchObject({
      path,
    });
  });
});
