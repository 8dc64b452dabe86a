import { once } from "node:events";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigWatcher, type ReloadResult } from "../src/ConfigWatcher.ts";
import { type LoadConfigOptions, loadConfig } from "../src/loadConfig.ts";

let cwd: string;
let watcher: ConfigWatcher | undefined;
let results: ReloadResult[];

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sluice-reload-"));
  await mkdir(join(cwd, "config"));
  results = [];
});
afterEach(async () => {
  watcher?.close();
  watcher = undefined;
  vi.useRealTimers();
  await rm(cwd, { recursive: true, force: true });
});

// Saves like an editor does: write a temporary file, then rename it over the old one.
async function save(text: string): Promise<void> {
  const tmp = join(cwd, "config", ".default.yaml.tmp");
  await writeFile(tmp, text);
  await rename(tmp, join(cwd, "config", "default.yaml"));
}

async function start(text: string, options: LoadConfigOptions = {}): Promise<ConfigWatcher> {
  await save(text);
  const load = () => loadConfig({ cwd, ...options });
  watcher = ConfigWatcher.start({ initial: load(), load, debounceMs: 20, onReload: (r) => results.push(r) });
  return watcher;
}

/** The next reload, or a failure after a bound: never a fixed sleep. */
async function nextReload(w: ConfigWatcher): Promise<ReloadResult> {
  const [result] = await once(w, "reload", { signal: AbortSignal.timeout(10_000) });
  return result as ReloadResult;
}

describe("ConfigWatcher", () => {
  it("applies a valid change to runtime-safe fields when the file changes", async () => {
    const w = await start("limits: { maxTokens: 1000 }\ntelemetry: { logLevel: info }\n");
    const reloaded = nextReload(w);
    await save("limits: { maxTokens: 2000 }\ntelemetry: { logLevel: debug }\n");
    const result = await reloaded;
    expect(result.outcome).toBe("applied");
    expect(result.applied.sort()).toEqual(["limits.maxTokens", "telemetry.logLevel"]);
    expect(w.current.limits.maxTokens).toBe(2000);
    expect(w.current.telemetry.logLevel).toBe("debug");
    expect(results).toEqual([result]);
  });

  it("rejects an invalid change and keeps the old config active", async () => {
    const w = await start("limits: { maxTokens: 1000 }\n");
    const before = w.current;
    const rejected = nextReload(w);
    await save("limits: { maxQueueDepth: -5, maxTokens: lots }\n");
    const result = await rejected;
    expect(result.outcome).toBe("rejected");
    expect(result.error).toMatchObject({ code: "CONFIG_INVALID" });
    expect(result.error?.message).toContain("limits.maxQueueDepth");
    expect(result.error?.message).toContain("limits.maxTokens");
    expect(w.current).toBe(before);
    expect(w.current.limits.maxTokens).toBe(1000);
    // The hook saw the rejection, so the server can log, count and audit it.
    expect(results.map((r) => r.outcome)).toEqual(["rejected"]);

    const recovered = nextReload(w);
    await save("limits: { maxTokens: 3000 }\n");
    expect((await recovered).outcome).toBe("applied");
    expect(w.current.limits.maxTokens).toBe(3000);
  });

  it("rejects a file that is not YAML and keeps the old config", async () => {
    const w = await start("limits: { maxQueueDepth: 10 }\n");
    const rejected = nextReload(w);
    await save("limits: { maxQueueDepth: [\n");
    expect((await rejected).outcome).toBe("rejected");
    expect(w.current.limits.maxQueueDepth).toBe(10);
  });

  it("reports fields that need a restart and applies only the runtime-safe ones", async () => {
    const w = await start(
      "server: { port: 9000 }\nlimits: { maxTokens: 1000 }\ncascade: { tiers: [{ model: a, confidenceThreshold: 0.5 }] }\n",
    );
    const reloaded = nextReload(w);
    await save(
      "server: { port: 9001 }\nlimits: { maxTokens: 2000 }\ncascade: { tiers: [{ model: b, confidenceThreshold: 0.7 }] }\n",
    );
    const result = await reloaded;
    expect(result.outcome).toBe("applied");
    expect(result.applied.sort()).toEqual(["cascade.tiers.0.confidenceThreshold", "limits.maxTokens"]);
    expect(result.restartRequired.sort()).toEqual(["cascade.tiers.0.model", "server.port"]);
    expect(w.current.server.port).toBe(9000);
    expect(w.current.cascade.tiers[0]).toMatchObject({ model: "a", confidenceThreshold: 0.7 });
    expect(w.current.limits.maxTokens).toBe(2000);
  });

  it("changes nothing when only restart-only fields changed", () => {
    let port = 9000;
    const load = () => loadConfig({ cwd, overrides: { server: { port } } });
    const w = ConfigWatcher.start({ initial: load(), load, watch: false });
    watcher = w;
    const before = w.current;
    port = 9001;
    expect(w.reload()).toMatchObject({
      outcome: "restart_required",
      restartRequired: ["server.port"],
      applied: [],
    });
    expect(w.current).toBe(before);
    port = 9000;
    expect(w.reload().outcome).toBe("unchanged");
  });

  it("swaps in a new frozen config object and leaves the previous one intact", () => {
    let tokens = 500;
    const load = () => loadConfig({ cwd, overrides: { limits: { maxTokens: tokens } } });
    const w = ConfigWatcher.start({ initial: load(), load, watch: false });
    watcher = w;
    const seen: number[] = [];
    w.on("change", (config) => seen.push(config.limits.maxTokens));
    const before = w.current;
    tokens = 600;
    const result = w.reload();
    expect(result.previous).toBe(before);
    expect(before.limits.maxTokens).toBe(500);
    expect(w.current).not.toBe(before);
    expect(Object.isFrozen(w.current.limits)).toBe(true);
    expect(seen).toEqual([600]);
  });

  it("coalesces a burst of change notifications into one reload", () => {
    vi.useFakeTimers();
    let loads = 0;
    const load = () => {
      loads++;
      return loadConfig({ cwd });
    };
    const w = ConfigWatcher.start({ initial: load(), load, watch: false, debounceMs: 100 });
    watcher = w;
    for (let i = 0; i < 5; i++) {
      w.scheduleReload();
      vi.advanceTimersByTime(50);
    }
    expect(loads).toBe(1);
    vi.advanceTimersByTime(100);
    expect(loads).toBe(2);
  });
});
