import { type BigIntStats, constants } from "node:fs";
import { access, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import {
  InvalidInputError,
  ModelCorruptError,
  ModelNotFoundError,
  toSluiceError,
} from "../../errors/index.ts";
import { getCatalog, type ModelCatalog, type ModelEntry } from "../catalog/ModelCatalog.ts";
import type { GgufExpectedKind } from "../gguf/checkArchitecture.ts";
import { type GgufFileSummary, validateGgufFile } from "../gguf/validateGguf.ts";
import { DigestLock } from "../integrity/DigestLock.ts";
import { hashFile } from "../integrity/hashFile.ts";
import { VerificationRecords } from "../integrity/VerificationRecords.ts";
import { checkUrlAllowed, createHostPolicy, type HostPolicy } from "../refs/hostPolicy.ts";
import {
  hfFileUrl,
  type ModelRef,
  parseHfUri,
  parseModelRef,
  storageNameForUri,
} from "../refs/parseModelRef.ts";
import { isLocked, withCrossProcessLock } from "./crossProcessLock.ts";
import { downloadToTemp, resolveRemoteFile } from "./downloadFile.ts";
import { ModelStoreEmitter, type ModelStoreEventName, type ModelStoreListener } from "./events.ts";
import { quarantineFile } from "./quarantine.ts";
import { SingleFlight } from "./SingleFlight.ts";
import { removeTemps } from "./tempFiles.ts";

export interface ModelStoreOptions {
  /** Directory the store downloads into and manages (created if missing). Required. */
  modelsDir: string;
  /** Read-only directories searched after `modelsDir` (apps read `SLUICE_MODEL_DIRS`). Defaults to `[]`. */
  extraDirs?: readonly string[];
  /** Catalog of known models. Defaults to the shipped `models/catalog.json`. */
  catalog?: ModelCatalog;
  /** https hosts downloads may touch, redirects included. Defaults to `DEFAULT_ALLOWED_HOSTS` (Hugging Face). */
  allowedHosts?: readonly string[];
  /** Exact `host:port` pairs allowed over plain http; for tests against 127.0.0.1. Defaults to `[]`. */
  allowInsecureHosts?: readonly string[];
  /** Lock file of pinned digests. Defaults to `<modelsDir>/models.lock.json`. */
  lockFile?: string;
  /** Where corrupt files are moved. Defaults to `<modelsDir>/.quarantine`. */
  quarantineDir?: string;
  /** Hugging Face access token, sent only to huggingface.co. Defaults to none. */
  huggingFaceToken?: string;
  /** A cross-process lock not refreshed for this long is taken over (min 2000). Defaults to `10000`. */
  lockStaleMs?: number;
  /** Most header bytes the GGUF check reads. Defaults to `64 MiB`. */
  maxHeaderBytes?: number;
}

/** Progress of a long step, for progress bars. */
export interface ModelProgress {
  phase: "download" | "hash";
  bytes: number;
  totalBytes: number;
}

export interface ResolveOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ModelProgress) => void;
}

export interface ResolvedModel {
  path: string;
  sha256: string;
  /** The catalog entry, when the reference named or matched one. */
  entry?: ModelEntry;
  source: "models-dir" | "extra-dir" | "download" | "path";
  summary: GgufFileSummary;
}

export interface ListedModel {
  entry: ModelEntry;
  /** Where the file is, if present (not verified: listing hashes nothing). */
  path?: string;
  location?: "models-dir" | "extra-dir";
  sizeBytes?: number;
}

/** What the store knows about a remote or catalog model. */
interface Target {
  key: string;
  storageName: string;
  entry?: ModelEntry;
  url?: URL;
  uri?: string;
  expect: GgufExpectedKind;
}

type Progress = (p: ModelProgress) => void;

const exists = (p: string) =>
  access(p, constants.F_OK).then(
    () => true,
    () => false,
  );

/**
 * Resolves model references (catalog id, absolute path, `hf:` URI, https URL)
 * to verified local GGUF files: searches the models directory, then the extra
 * directories, then downloads; checks size, GGUF structure and sha256 before
 * any file is handed out; quarantines corrupt files and fetches them again.
 * Create with `createModelStore`.
 */
export class ModelStore {
  readonly modelsDir: string;
  readonly extraDirs: readonly string[];
  readonly catalog: ModelCatalog;
  readonly quarantineDir: string;
  readonly #policy: HostPolicy;
  readonly #records: VerificationRecords;
  readonly #lock: DigestLock;
  readonly #events = new ModelStoreEmitter();
  readonly #flights = new SingleFlight<ResolvedModel, ModelProgress>();
  readonly #lockDir: string;
  readonly #staleMs: number;
  readonly #authorization: string | undefined;
  readonly #maxHeaderBytes: number | undefined;
  #ready: Promise<void> | undefined;

  private constructor(options: ModelStoreOptions) {
    if (typeof options.modelsDir !== "string" || options.modelsDir === "") {
      throw new RangeError(`modelsDir must be a directory path, got ${JSON.stringify(options.modelsDir)}`);
    }
    const staleMs = options.lockStaleMs ?? 10_000;
    if (!Number.isFinite(staleMs) || staleMs < 2_000)
      throw new RangeError(`lockStaleMs must be >= 2000, got ${staleMs}`);
    this.modelsDir = resolve(options.modelsDir);
    this.extraDirs = Object.freeze((options.extraDirs ?? []).map((d) => resolve(d)));
    this.catalog = options.catalog ?? getCatalog();
    this.quarantineDir = resolve(options.quarantineDir ?? join(this.modelsDir, ".quarantine"));
    this.#policy = createHostPolicy(options.allowedHosts, options.allowInsecureHosts);
    this.#records = new VerificationRecords(join(this.modelsDir, ".sluice-verified.json"));
    this.#lock = new DigestLock(resolve(options.lockFile ?? join(this.modelsDir, "models.lock.json")));
    this.#lockDir = join(this.modelsDir, ".locks");
    this.#staleMs = staleMs;
    this.#authorization = options.huggingFaceToken ? `Bearer ${options.huggingFaceToken}` : undefined;
    this.#maxHeaderBytes = options.maxHeaderBytes;
  }

  /** @internal */
  static _create(options: ModelStoreOptions): ModelStore {
    return new ModelStore(options);
  }

  /** Path of the lock file of pinned digests. */
  get lockFile(): string {
    return this.#lock.path;
  }

  on<E extends ModelStoreEventName>(name: E, listener: ModelStoreListener<E>): () => void {
    return this.#events.on(name, listener);
  }

  off<E extends ModelStoreEventName>(name: E, listener: ModelStoreListener<E>): void {
    this.#events.off(name, listener);
  }

  /** Creates the models directory and removes temp files left by crashed downloads. Runs once, lazily. */
  ready(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.modelsDir, { recursive: true });
      const removed = await removeTemps(this.modelsDir, {
        isHeld: (name) => isLocked(this.#lockDir, name, this.#staleMs),
      });
      for (const path of removed) this.#events.emit("stale-temp-removed", { path });
    })();
    return this.#ready;
  }

  /**
   * Resolves a reference to a verified local file: models directory, extra
   * directories, then download. INVALID_INPUT for malformed or disallowed
   * references (before any request), MODEL_NOT_FOUND, MODEL_CORRUPT,
   * MODEL_UNSUPPORTED, DOWNLOAD_FAILED, ABORTED.
   */
  async resolve(ref: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
    const parsed = parseModelRef(ref);
    if (parsed.kind === "path") return this.#resolvePath(parsed.path, options);
    const target = this.#target(parsed);
    await this.ready();
    return this.#flights.run(
      target.storageName,
      (signal, progress) => this.#resolveTarget(target, signal, progress),
      options,
    );
  }

  /** Ensures a catalog or remote model is in the models directory (ignoring extra directories). */
  async pull(ref: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
    const parsed = parseModelRef(ref);
    if (parsed.kind === "path")
      throw new InvalidInputError("pull takes a catalog id or a URI, not a local path");
    const target = this.#target(parsed);
    await this.ready();
    return this.#flights.run(
      target.storageName,
      (signal, progress) => this.#resolveTarget(target, signal, progress, { extraDirs: false }),
      options,
    );
  }

  /**
   * Re-hashes a model and checks it in full, ignoring verification records.
   * A corrupt file in the models directory is quarantined; MODEL_CORRUPT is
   * thrown either way. With `{ path }`, checks any file in place (never moved)
   * against `sha256`, else against a digest known for its file name.
   */
  async verify(
    ref: string | { path: string; sha256?: string },
    options: ResolveOptions = {},
  ): Promise<ResolvedModel> {
    if (typeof ref !== "string") return this.#verifyPath(resolve(ref.path), ref.sha256, options);
    const parsed = parseModelRef(ref);
    if (parsed.kind === "path") return this.#verifyPath(parsed.path, undefined, options);
    const target = this.#target(parsed);
    await this.ready();
    const places = [this.modelsDir, ...this.extraDirs].map((dir, i) => ({ dir, managed: i === 0 }));
    for (const { dir, managed } of places) {
      const path = join(dir, target.storageName);
      if (!(await exists(path))) continue;
      try {
        return await this.#check(path, target, { managed, force: true, progress: options.onProgress });
      } catch (err) {
        if (err instanceof ModelCorruptError && managed) await this.#quarantine(path, target, err, false);
        throw err;
      }
    }
    throw new ModelNotFoundError(`${ref} is not present locally`, { details: { ref } });
  }

  /** Deletes a model from the models directory (extra directories are never touched). Pins stay. */
  async remove(ref: string): Promise<string> {
    const parsed = parseModelRef(ref);
    if (parsed.kind === "path")
      throw new InvalidInputError("remove takes a catalog id or a URI, not a local path");
    const target = this.#target(parsed);
    await this.ready();
    const path = join(this.modelsDir, target.storageName);
    return withCrossProcessLock(this.#lockDir, target.storageName, { staleMs: this.#staleMs }, async () => {
      if (!(await exists(path))) throw new ModelNotFoundError(`${ref} is not in ${this.modelsDir}`);
      await rm(path, { force: true });
      await this.#records.forget(path);
      return path;
    });
  }

  /** Catalog entries with where their files are (stat only, nothing hashed). */
  async list(): Promise<ListedModel[]> {
    const out: ListedModel[] = [];
    for (const entry of this.catalog.list()) {
      let found: ListedModel = { entry };
      for (const [i, dir] of [this.modelsDir, ...this.extraDirs].entries()) {
        const path = join(dir, entry.fileName);
        const s = await stat(path).catch(() => undefined);
        if (s?.isFile()) {
          found = { entry, path, location: i === 0 ? "models-dir" : "extra-dir", sizeBytes: s.size };
          break;
        }
      }
      out.push(found);
    }
    return out;
  }

  /** Removes temp files of downloads that are not running (also done once at start-up). */
  async cleanStaleTemps(): Promise<string[]> {
    const removed = await removeTemps(this.modelsDir, {
      isHeld: (name) => isLocked(this.#lockDir, name, this.#staleMs),
    });
    for (const path of removed) this.#events.emit("stale-temp-removed", { path });
    return removed;
  }

  #target(ref: Exclude<ModelRef, { kind: "path" }>): Target {
    if (ref.kind === "id") {
      const entry = this.catalog.get(ref.id);
      if (!entry)
        throw new ModelNotFoundError(`no model '${ref.id}' in the catalog`, { details: { id: ref.id } });
      return this.#entryTarget(entry);
    }
    // A URI given directly is checked before anything else happens; a catalog
    // entry's source is checked when (and if) it has to be downloaded.
    checkUrlAllowed(ref.url, this.#policy);
    const entry = this.catalog.findByUri(ref.uri);
    if (entry) return this.#entryTarget(entry);
    return { key: ref.uri, storageName: storageNameForUri(ref), url: ref.url, uri: ref.uri, expect: "model" };
  }

  #entryTarget(entry: ModelEntry): Target {
    const url = entry.uri.startsWith("hf:") ? hfFileUrl(parseHfUri(entry.uri)) : new URL(entry.uri);
    return {
      key: entry.id,
      storageName: entry.fileName,
      entry,
      url,
      uri: entry.uri,
      expect: entry.role === "projector" ? "projector" : "model",
    };
  }

  async #resolveTarget(
    target: Target,
    signal: AbortSignal,
    progress: Progress,
    options: { extraDirs?: boolean } = {},
  ): Promise<ResolvedModel> {
    const managed = join(this.modelsDir, target.storageName);
    const local = await this.#checkManaged(managed, target, progress, false);
    if (local) return local;
    if (options.extraDirs !== false) {
      for (const dir of this.extraDirs) {
        const path = join(dir, target.storageName);
        if (!(await exists(path))) continue;
        try {
          return await this.#check(path, target, { managed: false, progress });
        } catch (err) {
          if (!(err instanceof ModelCorruptError)) throw err;
          this.#events.emit("rejected", { key: target.key, path, error: err });
        }
      }
    }
    if (!target.url) throw new ModelNotFoundError(`${target.key} is not present and has no source`);
    const url = target.url;
    const lockOptions = {
      staleMs: this.#staleMs,
      signal,
      onWait: () => this.#events.emit("lock-wait", { key: target.key }),
    };
    return withCrossProcessLock(this.#lockDir, target.storageName, lockOptions, async (held) => {
      // Another process may have fetched it while this one waited for the lock.
      const fetched = await this.#checkManaged(managed, target, progress, true);
      if (fetched) return fetched;
      return this.#download(target, url, held, progress);
    });
  }

  /** Checks the models-directory copy; a corrupt one is quarantined and undefined returned. */
  async #checkManaged(path: string, target: Target, progress: Progress, locked: boolean) {
    if (!(await exists(path))) return undefined;
    try {
      return await this.#check(path, target, { managed: true, progress });
    } catch (err) {
      if (!(err instanceof ModelCorruptError)) throw err;
      await this.#quarantine(path, target, err, locked);
      if (!target.url) throw err;
      return undefined;
    }
  }

  async #quarantine(path: string, target: Target, error: ModelCorruptError, locked: boolean): Promise<void> {
    const move = async () => {
      if (!(await exists(path))) return;
      const quarantinePath = await quarantineFile(path, this.quarantineDir, error);
      await this.#records.forget(path);
      error.details.quarantinePath = quarantinePath;
      this.#events.emit("quarantine", { key: target.key, path, quarantinePath, error });
    };
    if (locked) await move();
    else await withCrossProcessLock(this.#lockDir, target.storageName, { staleMs: this.#staleMs }, move);
  }

  /** Size, structure and digest checks of one file; records and pins on success. */
  async #check(
    path: string,
    target: Target | undefined,
    options: {
      managed: boolean;
      force?: boolean;
      progress?: Progress | undefined;
      signal?: AbortSignal;
      sha256?: string;
      /** Where `sha256` came from, for the error message. */
      sha256Source?: string;
    },
  ): Promise<ResolvedModel> {
    const s = await stat(path, { bigint: true });
    if (!s.isFile()) throw new ModelCorruptError(`${path} is not a regular file`, { details: { path } });
    const entry = target?.entry;
    const fail = (reason: string, extra: Record<string, unknown> = {}) =>
      new ModelCorruptError(`${path}: ${reason}`, { details: { path, reason, ...extra } });
    if (entry?.sizeBytes !== undefined && s.size !== BigInt(entry.sizeBytes)) {
      throw fail(`size ${s.size} differs from the catalog's ${entry.sizeBytes}`);
    }
    const summary = await validateGgufFile(path, {
      ...(target ? { expect: target.expect } : {}),
      ...(this.#maxHeaderBytes ? { maxHeaderBytes: this.#maxHeaderBytes } : {}),
    });
    const pin = target ? await this.#lock.get(target.key) : undefined;
    const expected = options.sha256 ?? entry?.sha256 ?? pin?.sha256;
    const expectedFrom =
      options.sha256 !== undefined
        ? (options.sha256Source ?? "given")
        : entry?.sha256
          ? "catalog"
          : "lock file";
    const { sha256, cached } = await this.#digest(
      path,
      s,
      options.force === true,
      options.progress,
      options.signal,
    );
    if (expected !== undefined && sha256 !== expected) {
      throw new ModelCorruptError(
        `${path}: sha256 mismatch: expected ${expected} (${expectedFrom}), got ${sha256}`,
        {
          details: { path, reason: "sha256 mismatch", expected, expectedFrom, actual: sha256 },
        },
      );
    }
    if (!cached) await this.#records.record(path, s, sha256);
    if (options.managed && target && expected === undefined) await this.#pin(target, sha256, Number(s.size));
    this.#events.emit("verify", { key: target?.key, path, sha256, cached });
    const source = options.managed ? "models-dir" : target ? "extra-dir" : "path";
    return { path, sha256, ...(entry ? { entry } : {}), source, summary };
  }

  async #digest(path: string, s: BigIntStats, force: boolean, progress?: Progress, signal?: AbortSignal) {
    if (!force) {
      const recorded = await this.#records.lookup(s);
      if (recorded) return { sha256: recorded, cached: true };
    }
    const totalBytes = Number(s.size);
    const result = await hashFile(path, {
      totalBytes,
      ...(signal ? { signal } : {}),
      onProgress: ({ hashedBytes }) => {
        progress?.({ phase: "hash", bytes: hashedBytes, totalBytes });
        this.#events.emit("hash-progress", { path, hashedBytes, totalBytes });
      },
    });
    this.#events.emit("hash", { path, bytes: result.bytes, ms: result.ms, sha256: result.sha256 });
    return { sha256: result.sha256, cached: false };
  }

  async #pin(target: Target, sha256: string, sizeBytes: number): Promise<void> {
    const pin = await this.#lock.pin(target.key, {
      sha256,
      sizeBytes,
      fileName: target.storageName,
      ...(target.uri ? { uri: target.uri } : {}),
    });
    if (pin.sha256 === sha256)
      this.#events.emit("pin", { key: target.key, sha256, lockFile: this.#lock.path });
  }

  async #download(target: Target, url: URL, signal: AbortSignal, progress: Progress): Promise<ResolvedModel> {
    const started = performance.now();
    const finalPath = join(this.modelsDir, target.storageName);
    // This process holds the lock: any temp file of this name is a crash leftover.
    for (const path of await removeTemps(this.modelsDir, { storageName: target.storageName })) {
      this.#events.emit("stale-temp-removed", { path });
    }
    const remote = await resolveRemoteFile(url, this.#policy, {
      signal,
      ...(this.#authorization ? { authorization: this.#authorization } : {}),
    });
    this.#events.emit("download-start", {
      key: target.key,
      url: `${remote.url.origin}${remote.url.pathname}`,
      path: finalPath,
    });
    const temp = await downloadToTemp(remote.url, {
      dir: this.modelsDir,
      storageName: target.storageName,
      policy: this.#policy,
      signal,
      ...(this.#authorization ? { authorization: this.#authorization } : {}),
      onProgress: (downloadedBytes, totalBytes) => {
        progress({ phase: "download", bytes: downloadedBytes, totalBytes });
        this.#events.emit("download-progress", { key: target.key, downloadedBytes, totalBytes });
      },
    });
    try {
      if (remote.totalBytes !== undefined) {
        const size = (await stat(temp)).size;
        if (size !== remote.totalBytes) {
          throw new ModelCorruptError(
            `download of ${target.key} is ${size} bytes, the server announced ${remote.totalBytes}`,
          );
        }
      }
      const pin = await this.#lock.get(target.key);
      const known = target.entry?.sha256 ?? pin?.sha256 ?? remote.linkedSha256;
      const knownFrom = target.entry?.sha256 ? "catalog" : pin ? "lock file" : "server's X-Linked-Etag";
      const checked = await this.#check(temp, target, {
        managed: false,
        force: true,
        progress,
        signal,
        ...(known ? { sha256: known, sha256Source: knownFrom } : {}),
      });
      await rename(temp, finalPath);
      await syncDir(this.modelsDir);
      await this.#records.record(finalPath, await stat(finalPath, { bigint: true }), checked.sha256);
      if (target.entry?.sha256 === undefined && pin === undefined) {
        await this.#pin(target, checked.sha256, checked.summary.fileSize);
      }
      const ms = performance.now() - started;
      this.#events.emit("download-done", {
        key: target.key,
        path: finalPath,
        bytes: checked.summary.fileSize,
        ms,
      });
      return { ...checked, path: finalPath, source: "download" };
    } catch (err) {
      const error = toSluiceError(err, "DOWNLOAD_FAILED");
      if (error instanceof ModelCorruptError && (await exists(temp))) {
        const quarantinePath = await quarantineFile(temp, this.quarantineDir, error);
        error.details.quarantinePath = quarantinePath;
        this.#events.emit("quarantine", { key: target.key, path: temp, quarantinePath, error });
      }
      await rm(temp, { force: true });
      throw error;
    }
  }

  async #resolvePath(path: string, options: ResolveOptions): Promise<ResolvedModel> {
    return this.#verifyPath(path, undefined, options, false);
  }

  async #verifyPath(path: string, sha256: string | undefined, options: ResolveOptions, force = true) {
    await this.ready();
    if (!(await exists(path)))
      throw new ModelNotFoundError(`no model file at ${path}`, { details: { path } });
    const name = basename(path);
    const entries = this.catalog.findByFileName(name);
    const entry = entries.length === 1 ? entries[0] : undefined;
    const pinned = (await this.#lock.findByFileName(name))[0]?.sha256;
    const known = sha256 ?? entry?.sha256 ?? pinned;
    const knownFrom = sha256 ? "given" : entry?.sha256 ? `catalog entry ${entry.id}` : "lock file";
    const target: Target | undefined = entry
      ? {
          key: entry.id,
          storageName: name,
          entry,
          expect: entry.role === "projector" ? "projector" : "model",
        }
      : undefined;
    return this.#check(path, target, {
      managed: false,
      force,
      progress: options.onProgress,
      ...(known ? { sha256: known, sha256Source: knownFrom } : {}),
    }).then((r) => ({ ...r, source: "path" as const }));
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  }
}

/** Creates a model store. See `ModelStoreOptions` for the defaults. */
export function createModelStore(options: ModelStoreOptions): ModelStore {
  return ModelStore._create(options);
}
