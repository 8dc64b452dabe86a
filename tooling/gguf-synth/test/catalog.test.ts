import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workspaceRoot } from "../src/fixtures.ts";
import type { PresetName, WeightType } from "../src/presets.ts";
import { writeSynthModel } from "../src/synth.ts";

interface Listed {
  id: string;
  preset: PresetName;
  type: WeightType;
  seed: number;
  sha256: string;
  sizeBytes: number;
}
const catalog = JSON.parse(readFileSync(join(workspaceRoot(), "models", "catalog.json"), "utf8"));
const presets: Listed[] = catalog.synthetic.presets;

describe("synthetic presets in the model catalog", () => {
  it("lists the small presets the tests use", () => {
    expect(presets.map((p) => p.id)).toEqual(
      expect.arrayContaining(["synth-lfm2-tiny-q8_0", "synth-llama-tiny-q8_0"]),
    );
  });

  // Only the small ones are regenerated here; the large digests are checked by the same code path.
  it.each(presets.filter((p) => p.sizeBytes < 2_000_000).map((p) => [p.id, p] as const))(
    "%s regenerates to the listed digest and size",
    async (_id, p) => {
      const dir = await mkdtemp(join(tmpdir(), "sluice-catalog-"));
      try {
        const r = await writeSynthModel({
          preset: p.preset,
          type: p.type,
          seed: p.seed,
          out: join(dir, "m.gguf"),
        });
        expect(r.sha256).toBe(p.sha256);
        expect(r.bytes).toBe(p.sizeBytes);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
