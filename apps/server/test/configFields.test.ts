// Every leaf of the config schema, set and observed through a running server
// (or the SDK it serves): a field without an entry here fails the meta-test,
// so an inert setting cannot come back. Models: the synthetic lfm2-tiny and
// the real stories260K fixture (SLUICE_MODEL_DIRS, /work/shared/models here).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConfig } from "@sluice/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheProfiles } from "./config/fields.cache.ts";
import { modelProfiles } from "./config/fields.models.ts";
import { opsProfiles } from "./config/fields.ops.ts";
import { requestProfiles } from "./config/fields.requests.ts";
import { securityProfiles } from "./config/fields.security.ts";
import { type Harness, startWith } from "./config/harness.ts";
import type { Profile } from "./config/profile.ts";

const profiles: Profile[] = [
  ...requestProfiles,
  ...modelProfiles,
  ...cacheProfiles,
  ...opsProfiles,
  ...securityProfiles,
];

describe("the config schema", () => {
  it("has an observable check for every leaf field, and no check for a field that does not exist", () => {
    const leaves = describeConfig().map((f) => f.path);
    const checked = profiles.flatMap((p) => Object.keys(p.fields));
    expect(leaves.filter((path) => !checked.includes(path))).toEqual([]);
    expect(checked.filter((path) => !leaves.includes(path))).toEqual([]);
    expect(new Set(checked).size).toBe(checked.length);
  });
});

for (const profile of profiles) {
  describe(`config: ${profile.name}`, () => {
    let h: Harness | undefined;
    beforeAll(async () => {
      if (profile.config === null) return;
      const dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
      await profile.prepare?.(dir);
      const config = typeof profile.config === "function" ? profile.config(dir) : profile.config;
      h = await startWith(config, { ...profile.start, dir });
    }, 120_000);
    afterAll(async () => {
      await h?.stop();
    }, 60_000);
    for (const [path, check] of Object.entries(profile.fields)) {
      it(`${path} takes effect`, async () => {
        await check(h as Harness);
      }, 120_000);
    }
  });
}
