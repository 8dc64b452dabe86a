import { describe, expect, it } from "vitest";
import { describeConfig } from "../describeConfig.ts";
import { sluiceConfigSchema } from "./index.ts";

describe("sluiceConfigSchema", () => {
  it("parses an empty object to laptop defaults", () => {
    const config = sluiceConfigSchema.parse({});
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 8080, playgroundPort: 3000 });
    expect(config.runtime).toMatchObject({ threads: "auto", contextSize: 4096, mode: "runner" });
    expect(config.auth.enabled).toBe(false);
    expect(config.telemetry.logLevel).toBe("info");
  });

  it("rejects unknown keys, so a typo is an error rather than ignored", () => {
    const result = sluiceConfigSchema.safeParse({ server: { prot: 1 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      code: "unrecognized_keys",
      keys: ["prot"],
      path: ["server"],
    });
  });

  it("checks fields against each other once each is valid", () => {
    const result = sluiceConfigSchema.safeParse({
      limits: { maxTokens: 100, defaultMaxTokens: 200 },
      cascade: {
        tiers: [{ model: "a" }],
        experiment: { id: "x", arms: [{ id: "b", weight: 1, tiers: ["z"] }] },
      },
    });
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual([
      "limits.defaultMaxTokens",
      "cascade.experiment.arms.0.tiers",
    ]);
  });
});

describe("describeConfig", () => {
  const docs = describeConfig();

  it("documents every field of every section", () => {
    const sections = new Set(docs.map((d) => d.path.split(".")[0]));
    expect([...sections].sort()).toEqual(
      [
        "auth",
        "cache",
        "cascade",
        "contentPolicy",
        "limits",
        "models",
        "runtime",
        "server",
        "telemetry",
      ].sort(),
    );
    expect(docs.length).toBeGreaterThan(60);
    expect(docs.filter((d) => d.description.length < 10).map((d) => d.path)).toEqual([]);
  });

  it("states the default in the description of every field that has one", () => {
    const missing = docs.filter((d) => d.default !== undefined && !d.description.includes("Defaults to"));
    expect(missing.map((d) => d.path)).toEqual([]);
  });

  it("names the environment variable and reload behaviour of each field", () => {
    const burst = docs.find((d) => d.path === "limits.rateLimit.burst");
    expect(burst).toMatchObject({
      env: "SLUICE_LIMITS__RATE_LIMIT__BURST",
      runtimeSafe: true,
      default: 60,
      type: "number",
    });
    expect(docs.find((d) => d.path === "server.port")).toMatchObject({
      env: "SLUICE_SERVER__PORT",
      runtimeSafe: false,
    });
    expect(docs.find((d) => d.path === "cascade.tiers[].confidenceThreshold")).toMatchObject({
      runtimeSafe: true,
    });
    expect(docs.find((d) => d.path === "cascade.tiers[].confidenceThreshold")?.env).toBeUndefined();
  });
});
