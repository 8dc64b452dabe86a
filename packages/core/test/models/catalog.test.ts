import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCatalog, getCatalog, loadCatalog } from "../../src/models/index.ts";
import { STORIES_SHA256, STORIES_SIZE } from "./fixtures/sharedModels.ts";

const entry = (over: Record<string, unknown> = {}) => ({
  id: "m",
  name: "M",
  role: "chat",
  uri: "hf:o/r/m.gguf",
  architecture: "lfm2",
  license: "MIT",
  ...over,
});
const catalogOf = (models: unknown[]) => ({ version: 1, models, synthetic: { presets: [] } });

describe("the shipped catalog", () => {
  const catalog = getCatalog();

  it("lists the LFM2 family from LiquidAI's GGUF repositories with their licence", () => {
    for (const size of ["350M", "700M", "1.2B", "2.6B"]) {
      const q8 = catalog.get(`lfm2-${size.toLowerCase()}-q8_0`);
      expect(q8?.uri).toBe(`hf:LiquidAI/LFM2-${size}-GGUF/LFM2-${size}-Q8_0.gguf`);
      expect(q8?.fileName).toBe(`LFM2-${size}-Q8_0.gguf`);
      expect(q8?.license).toBe("LFM Open License v1.0");
      expect(q8?.architecture).toBe("lfm2");
    }
  });

  it("marks LFM2-350M Q8_0 as the default chat model and has a default embedding model", () => {
    expect(catalog.defaultModel()?.id).toBe("lfm2-350m-q8_0");
    expect(catalog.defaultModel("embed")?.architecture).toBe("lfm2");
  });

  it("pairs each vision model with its projector", () => {
    const vision = catalog.byRole("vision");
    expect(vision.map((v) => v.id)).toEqual(["lfm2-vl-450m-q8_0", "lfm2-vl-1.6b-q8_0"]);
    for (const v of vision) {
      const projector = catalog.projectorOf(v);
      expect(projector?.role).toBe("projector");
      expect(projector?.architecture).toBe("clip");
      expect(projector?.fileName).toMatch(/^mmproj-LFM2-VL-/);
    }
  });

  it("knows stories260K's digest, size and source, and finds it by file name or URI", () => {
    const stories = catalog.get("STORIES260k");
    expect(stories).toMatchObject({
      id: "stories260K",
      sha256: STORIES_SHA256,
      sizeBytes: STORIES_SIZE,
      license: "MIT",
    });
    expect(catalog.findByFileName("stories260K.gguf")).toEqual([stories]);
    expect(catalog.findByUri("hf:ggml-org/models/tinyllamas/stories260K.gguf")).toBe(stories);
  });

  it("leaves digests it does not know absent rather than guessing", () => {
    const withDigest = catalog.list().filter((e) => e.sha256 !== undefined);
    expect(withDigest.map((e) => e.id)).toEqual(["stories260K"]);
  });
});

describe("createCatalog", () => {
  it("refuses duplicate ids, path-like ids, orphan vision entries and two defaults with CONFIG_INVALID", () => {
    const bad = [
      catalogOf([entry(), entry({ uri: "hf:o/r/n.gguf" })]),
      catalogOf([entry({ id: "../../etc/passwd" })]),
      catalogOf([entry({ role: "vision", projector: "nope" })]),
      catalogOf([entry({ default: true }), entry({ id: "n", uri: "hf:o/r/n.gguf", default: true })]),
      catalogOf([entry({ sha256: "ABC" })]),
      catalogOf([entry({ uri: "ftp://x/m.gguf" })]),
      catalogOf([entry({ extra: 1 })]),
    ];
    for (const data of bad) {
      expect(() => createCatalog(data)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
  });

  it("loads a catalog file and filters it by role", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-cat-"));
    try {
      const path = join(dir, "catalog.json");
      await writeFile(
        path,
        JSON.stringify(catalogOf([entry(), entry({ id: "e", role: "embed", uri: "hf:o/r/e.gguf" })])),
      );
      const catalog = await loadCatalog(path);
      expect(catalog.byRole("embed").map((e) => e.id)).toEqual(["e"]);
      await writeFile(path, "{");
      await expect(loadCatalog(path)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
