import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findProjector } from "./findProjector.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-projector-"));
  for (const f of [
    "tiny.gguf",
    "tiny.mmproj.gguf",
    "LFM2-VL-450M-Q8_0.gguf",
    "mmproj-LFM2-VL-450M-Q8_0.gguf",
    "text.gguf",
  ])
    await writeFile(join(dir, f), "");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("findProjector", () => {
  it("finds a sibling <name>.mmproj.gguf and a Hugging Face mmproj-<name>.gguf", () => {
    expect(findProjector(join(dir, "tiny.gguf"))).toBe(join(dir, "tiny.mmproj.gguf"));
    expect(findProjector(join(dir, "LFM2-VL-450M-Q8_0.gguf"))).toBe(
      join(dir, "mmproj-LFM2-VL-450M-Q8_0.gguf"),
    );
  });

  it("returns undefined for a text model without a projector", () => {
    expect(findProjector(join(dir, "text.gguf"))).toBeUndefined();
  });
});
