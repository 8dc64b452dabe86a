import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  InvalidInputError,
  ModelCorruptError,
  ModelNotFoundError,
  ModelUnsupportedError,
} from "../../src/errors/index.ts";
import { createModelStore } from "../../src/models/index.ts";
import { buildGguf, LFM2_TINY, lfm2Spec } from "./fixtures/ggufFixture.ts";
import { type ModelServer, startModelServer } from "./fixtures/modelServer.ts";
import { cleanup, modelFilesIn, recordEvents, storeFor, tempDir } from "./fixtures/storeHarness.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const tiny = buildGguf(lfm2Spec(LFM2_TINY));
const tinySha = sha(tiny);
const other = buildGguf(lfm2Spec({ ...LFM2_TINY, ff: 64 }));
const otherSha = sha(other);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );
}

describe("model store checks of references and local files", () => {
  let server: ModelServer;
  let dir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.reset();
    server.files.set("/tiny.gguf", tiny);
    dir = await tempDir();
    dirs.push(dir);
  });
  afterEach(() => cleanup(dirs));

  const extraDir = async () => {
    const extra = await tempDir("sluice-extra-");
    dirs.push(extra);
    return extra;
  };

  it("refuses a missing models directory and a lock staleness under two seconds", () => {
    expect(() => createModelStore({ modelsDir: "" })).toThrow(
      new RangeError('modelsDir must be a directory path, got ""'),
    );
    expect(() => createModelStore({ modelsDir: undefined as unknown as string })).toThrow(RangeError);
    expect(() => createModelStore({ modelsDir: dir, lockStaleMs: 1_999 })).toThrow(
      new RangeError("lockStaleMs must be >= 2000, got 1999"),
    );
    expect(() => createModelStore({ modelsDir: dir, lockStaleMs: Number.NaN })).toThrow(
      new RangeError("lockStaleMs must be >= 2000, got NaN"),
    );
    expect(createModelStore({ modelsDir: dir, lockStaleMs: 2_000 }).modelsDir).toBe(dir);
  });

  it("refuses a local path for pull and remove, and an unknown catalog id, before any request", async () => {
    const path = join(dir, "tiny.gguf");
    await writeFile(path, tiny);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    for (const [op, call] of [
      ["pull", () => store.pull(path)],
      ["remove", () => store.remove(path)],
    ] as const) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err).toMatchObject({
        code: "INVALID_INPUT",
        message: `${op} takes a catalog id or a URI, not a local path`,
      });
    }
    const unknown = await rejection(store.resolve("no-such-model"));
    expect(unknown).toBeInstanceOf(ModelNotFoundError);
    expect(unknown).toMatchObject({
      code: "MODEL_NOT_FOUND",
      message: "no model 'no-such-model' in the catalog",
      details: { id: "no-such-model" },
    });
    expect(existsSync(path)).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it("answers MODEL_NOT_FOUND for a missing path and MODEL_CORRUPT for a directory", async () => {
    const store = storeFor(dir, server, []);
    const missing = join(dir, "absent.gguf");
    const err = await rejection(store.resolve(missing));
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect(err).toMatchObject({ code: "MODEL_NOT_FOUND", details: { path: missing } });

    const folder = join(dir, "folder.gguf");
    await mkdir(folder);
    const notFile = await rejection(store.resolve(folder));
    expect(notFile).toBeInstanceOf(ModelCorruptError);
    expect(notFile).toMatchObject({
      code: "MODEL_CORRUPT",
      message: `${folder} is not a regular file`,
      details: { path: folder },
    });
    expect(existsSync(folder)).toBe(true);
  });

  it("checks a loose file against the digest of the one catalog entry of its name, leaving it in place", async () => {
    const loose = await extraDir();
    const path = join(loose, "tiny.gguf");
    await writeFile(path, other);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }]);
    const events = recordEvents(store, ["quarantine"]);
    const err = await rejection(store.verify(path));
    expect(err).toBeInstanceOf(ModelCorruptError);
    expect(err).toMatchObject({
      code: "MODEL_CORRUPT",
      message: `${path}: sha256 mismatch: expected ${tinySha} (catalog entry tiny), got ${otherSha}`,
      details: { expected: tinySha, expectedFrom: "catalog entry tiny", actual: otherSha },
    });
    expect(await readFile(path)).toEqual(other);
    expect(events.count("quarantine")).toBe(0);

    await writeFile(path, tiny);
    const verified = await store.verify(path);
    expect(verified).toMatchObject({ path, sha256: tinySha, source: "path", entry: { id: "tiny" } });
    expect(server.requests).toEqual([]);
  });

  it("holds a header over maxHeaderBytes unsupported rather than reading on", async () => {
    const path = join(dir, "loose.gguf");
    await writeFile(path, tiny);
    const store = storeFor(dir, server, [], { maxHeaderBytes: 1024 });
    const err = await rejection(store.resolve(path));
    expect(err).toBeInstanceOf(ModelUnsupportedError);
    expect(err).toMatchObject({
      code: "MODEL_UNSUPPORTED",
      message: expect.stringContaining("header is larger than the 1024-byte limit"),
    });
    // The default limit takes the same file.
    await expect(storeFor(dir, server, []).resolve(path)).resolves.toMatchObject({ sha256: tinySha });
  });

  it("verifies by id only where the file is: MODEL_NOT_FOUND when absent, extra copies never moved", async () => {
    const extra = await extraDir();
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }], {
      extraDirs: [extra],
    });
    const events = recordEvents(store, ["quarantine"]);
    const absent = await rejection(store.verify("tiny"));
    expect(absent).toBeInstanceOf(ModelNotFoundError);
    expect(absent).toMatchObject({
      code: "MODEL_NOT_FOUND",
      message: "tiny is not present locally",
      details: { ref: "tiny" },
    });

    await writeFile(join(extra, "tiny.gguf"), other);
    const corrupt = await rejection(store.verify("tiny"));
    expect(corrupt).toBeInstanceOf(ModelCorruptError);
    expect(corrupt).toMatchObject({ code: "MODEL_CORRUPT", details: { reason: "sha256 mismatch" } });
    expect(await readFile(join(extra, "tiny.gguf"))).toEqual(other);
    expect(events.count("quarantine")).toBe(0);

    await writeFile(join(extra, "tiny.gguf"), tiny);
    await expect(store.verify("tiny")).resolves.toMatchObject({
      path: join(extra, "tiny.gguf"),
      source: "extra-dir",
    });
    expect(server.requests).toEqual([]);
  });

  it("lists a model found only in an extra directory there", async () => {
    const extra = await extraDir();
    await writeFile(join(extra, "tiny.gguf"), tiny);
    const store = storeFor(
      dir,
      server,
      [
        { id: "tiny", uri: server.url("/tiny.gguf") },
        { id: "other", uri: server.url("/other.gguf") },
      ],
      { extraDirs: [await extraDir(), extra] },
    );
    expect((await store.list()).map((l) => [l.entry.id, l.path, l.location, l.sizeBytes])).toEqual([
      ["tiny", join(extra, "tiny.gguf"), "extra-dir", tiny.length],
      ["other", undefined, undefined, undefined],
    ]);
  });

  it("adopts a file copied into the models directory: pins its digest without a request", async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "tiny.gguf"), tiny);
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    const events = recordEvents(store, ["pin", "download-start"]);
    await expect(store.resolve("tiny")).resolves.toMatchObject({ source: "models-dir", sha256: tinySha });
    expect(events.of("pin")).toEqual([{ key: "tiny", sha256: tinySha, lockFile: store.lockFile }]);
    const lock = JSON.parse(await readFile(store.lockFile, "utf8"));
    expect(lock.pins.tiny).toMatchObject({ sha256: tinySha, sizeBytes: tiny.length, fileName: "tiny.gguf" });
    expect(events.count("download-start")).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it("quarantines a download whose size differs from the catalog's", async () => {
    const store = storeFor(dir, server, [
      { id: "tiny", uri: server.url("/tiny.gguf"), sizeBytes: tiny.length + 1 },
    ]);
    const events = recordEvents(store, ["quarantine", "pin"]);
    const err = await rejection(store.resolve("tiny"));
    expect(err).toBeInstanceOf(ModelCorruptError);
    expect(err).toMatchObject({
      code: "MODEL_CORRUPT",
      details: { reason: `size ${tiny.length} differs from the catalog's ${tiny.length + 1}` },
    });
    const [q] = events.of("quarantine");
    expect(await readFile(q!.quarantinePath)).toEqual(tiny);
    expect(events.count("pin")).toBe(0);
    expect(await modelFilesIn(dir)).toEqual([]);
  });

  it("refuses a model file where the catalog wants a projector, without quarantining it", async () => {
    server.files.set("/mmproj.gguf", tiny);
    const models = [{ id: "proj", uri: server.url("/mmproj.gguf"), role: "projector" }];
    const store = storeFor(dir, server, models);
    const events = recordEvents(store, ["quarantine", "pin"]);
    const expected = {
      code: "MODEL_UNSUPPORTED",
      message: expect.stringContaining("expected a projector (clip) file, found architecture 'lfm2'"),
    };
    // Downloaded: refused and dropped.
    const downloaded = await rejection(store.pull("proj"));
    expect(downloaded).toBeInstanceOf(ModelUnsupportedError);
    expect(downloaded).toMatchObject(expected);
    expect(await modelFilesIn(dir)).toEqual([]);
    expect(server.requests).toHaveLength(2);

    // Already in the models directory: refused, left where it is, not fetched again.
    await writeFile(join(dir, "mmproj.gguf"), tiny);
    await expect(store.resolve("proj")).rejects.toMatchObject(expected);
    expect(await modelFilesIn(dir)).toEqual(["mmproj.gguf"]);

    // In an extra directory, or checked by path: refused the same way.
    const extra = await extraDir();
    await writeFile(join(extra, "mmproj.gguf"), tiny);
    const withExtra = storeFor(await extraDir(), server, models, { extraDirs: [extra] });
    await expect(withExtra.resolve("proj")).rejects.toMatchObject(expected);
    await expect(withExtra.verify({ path: join(extra, "mmproj.gguf") })).rejects.toMatchObject(expected);
    expect(existsSync(join(extra, "mmproj.gguf"))).toBe(true);

    expect(server.requests).toHaveLength(2);
    expect(events.count("quarantine")).toBe(0);
    expect(events.count("pin")).toBe(0);
  });

  it("downloads when an extra directory lacks the file", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }], {
      extraDirs: [await extraDir()],
    });
    await expect(store.resolve("tiny")).resolves.toMatchObject({ source: "download", sha256: tinySha });
    expect(server.counts()).toMatchObject({ probes: 1, infoGets: 1, total: 2 });
  });

  it("resolves a URI named by a catalog entry as that entry", async () => {
    const store = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: tinySha }]);
    const resolved = await store.resolve(server.url("/tiny.gguf"));
    expect(resolved).toMatchObject({ path: join(dir, "tiny.gguf"), entry: { id: "tiny" }, sha256: tinySha });
  });
});

describe("model stores sharing a models directory", () => {
  let server: ModelServer;
  let dir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.reset();
    server.files.set("/tiny.gguf", tiny);
    dir = await tempDir();
    dirs.push(dir);
  });
  afterEach(() => cleanup(dirs));

  /**
   * Starts `first` downloading and holds its requests until `second` has
   * started and waits for the model's lock; returns both results.
   */
  async function overlap(
    first: ReturnType<typeof storeFor>,
    second: ReturnType<typeof storeFor>,
  ): Promise<{
    a: Awaited<ReturnType<typeof first.resolve>>;
    b: Awaited<ReturnType<typeof second.resolve>>;
  }> {
    let open!: () => void;
    server.gate = new Promise<void>((r) => {
      open = r;
    });
    second.on("lock-wait", () => open());
    const a = first.resolve("tiny");
    // The first store holds the lock once its probe reaches the server.
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    const b = second.resolve("tiny");
    return { a: await a, b: await b };
  }

  it("takes the file another store fetched while it waited for the lock, without a request", async () => {
    const models = [{ id: "tiny", uri: server.url("/tiny.gguf") }];
    const first = storeFor(dir, server, models);
    const second = storeFor(dir, server, models);
    const firstEvents = recordEvents(first, ["download-done"]);
    const secondEvents = recordEvents(second, ["lock-wait", "download-start"]);
    const { a, b } = await overlap(first, second);
    expect(a).toMatchObject({ source: "download", sha256: tinySha });
    expect(b).toMatchObject({ source: "models-dir", sha256: tinySha, path: a.path });
    expect(firstEvents.count("download-done")).toBe(1);
    expect(secondEvents.count("lock-wait")).toBe(1);
    expect(secondEvents.count("download-start")).toBe(0);
    expect(server.counts()).toEqual({ probes: 1, infoGets: 1, rangeGets: 0, total: 2 });
  });

  it("quarantines what another store fetched when its catalog lists another digest, and fetches that", async () => {
    const first = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf") }]);
    const second = storeFor(dir, server, [{ id: "tiny", uri: server.url("/tiny.gguf"), sha256: otherSha }]);
    // The source changes once the first store has its copy.
    first.on("download-done", () => server.files.set("/tiny.gguf", other));
    const events = recordEvents(second, ["quarantine", "download-done"]);
    const { a, b } = await overlap(first, second);
    expect(a).toMatchObject({ source: "download", sha256: tinySha });
    expect(b).toMatchObject({ source: "download", sha256: otherSha, path: a.path });
    expect(await readFile(b.path)).toEqual(other);
    const [q] = events.of("quarantine");
    expect(q).toMatchObject({ key: "tiny", path: a.path });
    expect(q?.error).toMatchObject({
      code: "MODEL_CORRUPT",
      details: { expected: otherSha, actual: tinySha },
    });
    expect(await readFile(q!.quarantinePath)).toEqual(tiny);
    expect(events.count("download-done")).toBe(1);
    expect(server.counts()).toEqual({ probes: 2, infoGets: 2, rangeGets: 0, total: 4 });
    expect(await modelFilesIn(dir)).toEqual(["tiny.gguf"]);
  });
});
