import { ErrorCode, ProviderEvents } from "@openfeature/server-sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { FlagsConfig } from "../schema/flags.ts";
import { flagsSchema } from "../schema/flags.ts";
import { pickVariant } from "./ConfigFlagProvider.ts";
import { createFeatureFlags, type FeatureFlags } from "./createFeatureFlags.ts";

const open: FeatureFlags[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function flagsFor(config: unknown): Promise<FeatureFlags> {
  const flags = await createFeatureFlags(flagsSchema.parse(config));
  open.push(flags);
  return flags;
}

const abFlag = {
  variants: { control: "lfm2-350m-q8_0", treatment: "lfm2-1.2b-q4_k_m" },
  weights: { control: 80, treatment: 20 },
};

describe("ConfigFlagProvider through OpenFeature", () => {
  it("resolves plain boolean, number and string flags from the config", async () => {
    const { client } = await flagsFor({
      "experimental.vision": true,
      "cascade.escalateBelow": 0.4,
      tier: "small",
    });
    expect(await client.getBooleanValue("experimental.vision", false)).toBe(true);
    expect(await client.getNumberValue("cascade.escalateBelow", 1)).toBe(0.4);
    expect(await client.getStringValue("tier", "x")).toBe("small");
  });

  it("falls back to the caller's default for a missing flag or a wrong type, with an error code", async () => {
    const { client } = await flagsFor({ beta: "yes" });
    const missing = await client.getBooleanDetails("absent", true);
    expect(missing).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
    const wrong = await client.getBooleanDetails("beta", false);
    expect(wrong).toMatchObject({ value: false, errorCode: ErrorCode.TYPE_MISMATCH });
  });

  it("assigns A/B variants stickily per targeting key and by weight", async () => {
    const { client } = await flagsFor({ "cascade.ab": abFlag });
    const first = await client.getStringDetails("cascade.ab", "", { targetingKey: "key-42" });
    for (let i = 0; i < 5; i++) {
      expect(await client.getStringValue("cascade.ab", "", { targetingKey: "key-42" })).toBe(first.value);
    }
    expect(first.reason).toBe("SPLIT");
    expect(["control", "treatment"]).toContain(first.variant);

    const counts = { control: 0, treatment: 0 };
    const flag = flagsSchema.parse({ f: abFlag }).f as Parameters<typeof pickVariant>[1];
    for (let i = 0; i < 4000; i++) counts[pickVariant("cascade.ab", flag, `k${i}`) as keyof typeof counts]++;
    // 80/20 within a few percent over 4000 keys.
    expect(counts.treatment / 4000).toBeGreaterThan(0.17);
    expect(counts.treatment / 4000).toBeLessThan(0.23);
  });

  it("serves the default variant without a targeting key", async () => {
    const { client } = await flagsFor({ "cascade.ab": { ...abFlag, defaultVariant: "treatment" } });
    expect(await client.getStringDetails("cascade.ab", "")).toMatchObject({
      value: "lfm2-1.2b-q4_k_m",
      reason: "DEFAULT",
    });
  });

  it("applies updated flags and tells listeners which changed", async () => {
    const flags = await flagsFor({ beta: false, keep: 1 });
    const changed = new Promise<string[] | undefined>((resolve) =>
      flags.client.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
        resolve(details?.flagsChanged),
      ),
    );
    flags.update({ beta: true, keep: 1 } satisfies FlagsConfig);
    expect(await changed).toEqual(["beta"]);
    expect(await flags.client.getBooleanValue("beta", false)).toBe(true);
  });

  it("keeps two instances' flags apart", async () => {
    const a = await flagsFor({ beta: true });
    const b = await flagsFor({ beta: false });
    expect(await a.client.getBooleanValue("beta", false)).toBe(true);
    expect(await b.client.getBooleanValue("beta", true)).toBe(false);
  });
});
