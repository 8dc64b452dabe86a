import { EventEmitter } from "node:events";
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { LoadedConfig } from "./loadConfig.ts";
import { type ConfigPath, deepFreeze, formatPath, getPath, setPath } from "./paths.ts";
import { changedPaths, isRuntimeSafe } from "./runtimeSafe.ts";
import { type SluiceConfig, sluiceConfigSchema } from "./schema/index.ts";

/** How a reload ended. `restart_required`: only fields that need a restart changed; nothing was applied. */
export type ReloadOutcome = "applied" | "rejected" | "unchanged" | "restart_required";

/** What one reload did; emitted as the `reload` event. */
export interface ReloadResult {
  outcome: ReloadOutcome;
  /** Runtime-safe fields now in effect with new values. */
  applied: string[];
  /** Changed fields that keep their old value until a restart. */
  restartRequired: string[];
  /** Why the change was rejected (a ConfigInvalidError, or the read error). */
  error?: Error;
  /** The active config after this reload (the old one when rejected). */
  config: SluiceConfig;
  /** The active config before this reload. */
  previous: SluiceConfig;
}

/** Options of {@link ConfigWatcher.start}. */
export interface ConfigWatcherOptions {
  /** The config in effect now (from `loadConfig`). */
  initial: LoadedConfig;
  /** Loads the layers again; usually `() => loadConfig(sameOptions)`. */
  load: () => LoadedConfig;
  /** Quiet time after the last file event before reloading, so editors' multi-step saves reload once. Defaults to `100`. */
  debounceMs?: number;
  /** Watch the files. `false` leaves reloads to `reload()` / `scheduleReload()` (e.g. on SIGHUP). Defaults to `true`. */
  watch?: boolean;
  /** Called after each reload, before `reload` listeners: the place to log, count and audit. Defaults to none. */
  onReload?: (result: ReloadResult) => void;
}

/**
 * Holds the active config and reloads it when its files change. Each reload
 * validates all layers; a valid change swaps in one new frozen config carrying
 * the changed runtime-safe fields (old values for everything else), an
 * invalid one is rejected and the old config stays active.
 *
 * Events: `reload` (ReloadResult) after every reload, `change` (SluiceConfig,
 * ReloadResult) only when the active config changed.
 */
export class ConfigWatcher extends EventEmitter<{
  reload: [ReloadResult];
  change: [SluiceConfig, ReloadResult];
}> {
  #current: SluiceConfig;
  readonly #load: () => LoadedConfig;
  readonly #debounceMs: number;
  readonly #onReload: ((result: ReloadResult) => void) | undefined;
  readonly #watchers: FSWatcher[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(options: ConfigWatcherOptions) {
    super();
    this.#current = options.initial.config;
    this.#load = options.load;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#onReload = options.onReload;
  }

  /** Starts watching the directories of `initial.watchFiles` (directories, so files replaced by rename are seen). */
  static start(options: ConfigWatcherOptions): ConfigWatcher {
    if (options.debounceMs !== undefined && !(options.debounceMs >= 0)) {
      throw new RangeError(`debounceMs must be >= 0, got ${options.debounceMs}`);
    }
    const watcher = new ConfigWatcher(options);
    if (options.watch ?? true) watcher.#watch(options.initial.watchFiles);
    return watcher;
  }

  /** The active config. Read it per use rather than caching it, so reloads take effect. */
  get current(): SluiceConfig {
    return this.#current;
  }

  /** Reloads after the debounce interval; calls within the interval coalesce into one reload. */
  scheduleReload(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.reload();
    }, this.#debounceMs);
  }

  /** Reloads now and returns what happened. */
  reload(): ReloadResult {
    const previous = this.#current;
    let result: ReloadResult;
    try {
      result = this.#apply(previous, this.#load().config);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      result = {
        outcome: "rejected",
        applied: [],
        restartRequired: [],
        error: err,
        config: previous,
        previous,
      };
    }
    this.#current = result.config;
    this.#onReload?.(result);
    this.emit("reload", result);
    if (result.config !== previous) this.emit("change", result.config, result);
    return result;
  }

  /** Stops watching; safe twice. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers.splice(0)) w.close();
  }

  #apply(previous: SluiceConfig, loaded: SluiceConfig): ReloadResult {
    const changes = changedPaths(previous, loaded);
    const safe = changes.filter((p) => isRuntimeSafe(p));
    const restartRequired = changes.filter((p) => !isRuntimeSafe(p)).map(formatPath);
    if (safe.length === 0) {
      const outcome = restartRequired.length > 0 ? "restart_required" : "unchanged";
      return { outcome, applied: [], restartRequired, config: previous, previous };
    }
    // Build the whole next config, then swap once: readers see old or new, never a mix.
    const next = structuredClone(previous) as Record<string, unknown>;
    for (const path of safe) setPath(next, path as ConfigPath, structuredClone(getPath(loaded, path)));
    const config = deepFreeze(sluiceConfigSchema.parse(next));
    return { outcome: "applied", applied: safe.map(formatPath), restartRequired, config, previous };
  }

  #watch(files: readonly string[]): void {
    const byDir = new Map<string, Set<string>>();
    for (const file of files) {
      const names = byDir.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      byDir.set(dirname(file), names);
    }
    for (const [dir, names] of byDir) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) this.scheduleReload();
        });
        // A removed directory ends its watcher; the config in effect stays.
        watcher.on("error", () => watcher.close());
        this.#watchers.push(watcher);
      } catch {
        // A missing config directory has nothing to watch; reload() still works.
      }
    }
  }
}
