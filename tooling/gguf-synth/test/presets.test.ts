import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeader } from "../src/ggufWriter.ts";
import { PRESET_NAMES, planModel } from "../src/presets.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-presets-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Header plus a sparse data section: parses like the full model without writing gigabytes. */
async function writeSparse(preset: (typeof PRESET_NAMES)[number]): Promise<string> {
  const plan = planModel(preset, { type: "q8_0" });
  const { header, dataBytes } = encodeHeader(plan.metadata, plan.tensors);
  const path = join(dir, `${preset}.gguf`);
  const file = await open(path, "w");
  await file.write(header);
  await file.truncate(header.length + dataBytes);
  await file.close();
  return path;
}

const published: Record<string, [number, number]> = {
  // [reported by llama.cpp for the real model, tolerance]
  "lfm2-350m": [354.48e6, 0.005e6],
  "lfm2-700m": [742.49e6, 0.5e6],
  "lfm2-1.2b": [1.17e9, 0.005e9],
  "lfm2-2.6b": [2.57e9, 0.005e9],
};

describe("presets", () => {
  it.each(PRESET_NAMES)("%s parses with node-llama-cpp's readGgufFileInfo", async (preset) => {
    const info = await readGgufFileInfo(await writeSparse(preset));
    const arch = info.metadata.general.architecture;
    expect(arch).toBe(preset.startsWith("llama") ? "llama" : "lfm2");
    const params = info.fullTensorInfo!.reduce(
      (sum: number, t) => sum + t.dimensions.reduce((a: number, b) => a * Number(b), 1),
      0,
    );
    expect(params).toBe(planModel(preset, { type: "q8_0" }).params);
    const expected = published[preset];
    if (expected) expect(Math.abs(params - expected[0])).toBeLessThanOrEqual(expected[1]);
  });

  it("rejects a context length out of range", () => {
    expect(() => planModel("lfm2-tiny", { type: "q8_0", ctx: 3 })).toThrow(RangeError);
  });
});
