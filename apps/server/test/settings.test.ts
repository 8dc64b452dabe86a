import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/ApiKeyStore.ts";
import { redactedConfig, resolveSettings } from "../src/settings.ts";

describe("resolveSettings", () => {
  it("merges config keys with SLUICE_API_KEYS, turns rate limits on with keys, and redacts secrets", () => {
    const digest = sha256Hex("cfg-secret");
    const settings = resolveSettings({
      SLUICE_AUTH__KEYS: `[{id: ops, sha256: "${digest}", scopes: [admin, embed]}]`,
      SLUICE_API_KEYS: "alice:infer:alice-secret",
      SLUICE_REDIS_URL: "redis://user:hunter2@127.0.0.1:6390",
      SLUICE_MODEL: "lfm2-tiny",
    });
    expect(settings.keys.map((k) => [k.id, k.scopes])).toEqual([
      ["ops", ["admin", "infer"]],
      ["alice", ["infer"]],
    ]);
    expect(settings.rateLimit).toEqual({ perMinute: 600, burst: 60 });
    expect(settings.requestedModel).toBe("lfm2-tiny");
    const shown = JSON.stringify(redactedConfig(settings.config));
    expect(shown).not.toContain(digest);
    expect(shown).not.toContain("hunter2");
    expect(shown).toContain("[redacted]");
  });

  it("treats the configured default model as preferred, not as an explicit request", () => {
    const settings = resolveSettings({});
    expect(settings.requestedModel).toBeUndefined();
    expect(settings.preferredModel).toBe("lfm2-350m-q8_0");
  });
});
