import { afterEach, describe, expect, it } from "vitest";
import { ConfigWatcher } from "../src/ConfigWatcher.ts";
import { createFeatureFlags, type FeatureFlags } from "../src/flags/createFeatureFlags.ts";
import { loadConfig } from "../src/loadConfig.ts";

let flags: FeatureFlags | undefined;
afterEach(async () => {
  await flags?.close();
});

describe("flags on hot reload", () => {
  it("reach OpenFeature clients when a reload changes them, and stay when it is rejected", async () => {
    let env: Record<string, string> = { SLUICE_FLAGS: "{ experimental.batching: false }" };
    const load = () => loadConfig({ cwd: "/nonexistent", env });
    const watcher = ConfigWatcher.start({ initial: load(), load, watch: false });
    flags = await createFeatureFlags(watcher.current.flags);
    watcher.on("change", (config) => flags?.update(config.flags));

    env = { SLUICE_FLAGS: "{ experimental.batching: true }" };
    expect(watcher.reload().applied).toEqual(["flags.experimental.batching"]);
    expect(await flags.client.getBooleanValue("experimental.batching", false)).toBe(true);

    env = { SLUICE_FLAGS: "{ experimental.batching: false }", SLUICE_LIMITS__MAX_QUEUE_DEPTH: "-1" };
    expect(watcher.reload().outcome).toBe("rejected");
    expect(await flags.client.getBooleanValue("experimental.batching", false)).toBe(true);
    watcher.close();
  });
});
