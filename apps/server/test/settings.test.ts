import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/auth/ApiKeyStore.ts";
import { redactedConfig, resolveSettings } from "../src/settings.ts";

describe("resolveSettings", () => {
  it("merges config keys with SLUICE_API_KEYS and redacts secrets; keys alone do not turn the limiter on", () => {
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
    expect(settings.rateLimit).toBeUndefined();
    expect(
      resolveSettings({ SLUICE_LIMITS__RATE_LIMIT__ENABLED: "true", SLUICE_RATE_LIMIT_BURST: "9" }).rateLimit,
    ).toEqual({ perMinute: 600, burst: 9 });
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

  it("starts with auth.enabled and keys from SLUICE_API_KEYS only; refuses auth.enabled without any key", () => {
    const settings = resolveSettings({
      SLUICE_AUTH__ENABLED: "true",
      SLUICE_API_KEYS: "alice:infer:alice-secret",
    });
    expect(settings.keys.map((k) => k.id)).toEqual(["alice"]);
    expect(() => resolveSettings({ SLUICE_AUTH__ENABLED: "true" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringContaining("auth.keys") }),
    );
  });
});
