import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCatalog } from "@sluice/core";
import { ensureSynthModel, workspaceRoot } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluice, type Sluice } from "../src/index.ts";

// The store sees models/fixtures (stories260K, shipped in git) as an extra
// directory; only the synthetic lfm2-tiny is configured.
let sluice: Sluice;
const modelsDir = mkdtempSync(join(tmpdir(), "sluice-catalog-"));

beforeAll(async () => {
  const path = await ensureSynthModel({ preset: "lfm2-tiny" });
  sluice = await createSluice({
    models: [
      {
        id: "tiny",
        source: path,
        contextSize: 512,
        sequences: 2,
        threads: 1,
        batchSize: 128,
        streamIntervalMs: 20,
        preload: true,
        synthetic: true,
      },
    ],
    store: { modelsDir, extraDirs: [join(workspaceRoot(), "models", "fixtures")] },
    memoryBudgetBytes: 8 * 2 ** 30,
  });
});
afterAll(async () => {
  await sluice?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe("catalog models at run time", () => {
  it("lists the catalog: present or pullable, size, quantization and fit", async () => {
    const catalog = await sluice.models.catalog();
    const stories = catalog.find((m) => m.id === "stories260K");
    expect(stories).toMatchObject({ present: true, sizeBytes: 1_185_376, quantization: "F32", fits: true });
    expect(stories?.state).toBeUndefined();
    const lfm2 = catalog.find((m) => m.id === "lfm2-350m-q8_0");
    expect(lfm2).toMatchObject({ present: false, quantization: "Q8_0", sizeBytes: 379_000_000 });
    expect(lfm2?.needBytes).toBeGreaterThan(379_000_000);
  });

  it("loads a catalog model that was not configured, then answers with it", async () => {
    const status = await sluice.models.load("stories260K");
    expect(status).toMatchObject({ id: "stories260K", state: "ready", role: "chat" });
    // Loaded with the configured model's runtime settings, as its engine applied them.
    expect(status.engine).toMatchObject({
      contextSize: 512,
      sequences: 2,
      threads: 1,
      batchSize: 128,
      streamIntervalMs: 20,
    });
    expect(sluice.models.list().map((m) => m.id)).toEqual(["tiny", "stories260K"]);
    expect((await sluice.models.catalog()).find((m) => m.id === "stories260K")?.state).toBe("ready");
    const answer = await sluice.chat({
      model: "stories260K",
      messages: [{ role: "user", content: "Once upon a time" }],
      maxTokens: 24,
      temperature: 0,
    });
    expect(answer.model).toBe("stories260K");
    expect(answer.text.match(/\b(the|was|a|and|to|she|he|her)\b/gi)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it("refuses a name that is neither configured, in the catalog, nor a URI", async () => {
    await expect(sluice.models.load("no-such-model")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    expect(sluice.models.list().map((m) => m.id)).not.toContain("no-such-model");
  });
});

describe("a store with its own catalog", () => {
  let own: Sluice;
  const ownDir = mkdtempSync(join(tmpdir(), "sluice-own-catalog-"));
  const license = "MIT";
  const catalog = createCatalog({
    version: 1,
    models: [
      // The shipped stories260K file, registered as an embedding model.
      {
        id: "stories-embed",
        name: "stories260K as an encoder",
        role: "embed",
        uri: "hf:ggml-org/models/tinyllamas/stories260K.gguf",
        architecture: "llama",
        license,
      },
      { id: "bare", name: "Bare", role: "chat", uri: "hf:org/repo/bare.gguf", architecture: "lfm2", license },
      {
        id: "eyes",
        name: "Eyes",
        role: "vision",
        uri: "hf:org/repo/eyes.gguf",
        architecture: "lfm2",
        license,
        projector: "eyes-mmproj",
      },
      {
        id: "eyes-mmproj",
        name: "Eyes projector",
        role: "projector",
        uri: "hf:org/repo/eyes-mmproj.gguf",
        architecture: "clip",
        license,
      },
    ],
    synthetic: { presets: [] },
  });
  beforeAll(async () => {
    own = await createSluice({
      models: [
        { id: "tiny", source: await ensureSynthModel({ preset: "lfm2-tiny" }), contextSize: 256, threads: 1 },
      ],
      store: { modelsDir: ownDir, extraDirs: [join(workspaceRoot(), "models", "fixtures")], catalog },
    });
  });
  afterAll(async () => {
    await own?.close();
    rmSync(ownDir, { recursive: true, force: true });
  });

  it("lists an entry with no size, quantization or description without inventing them", async () => {
    const bare = (await own.models.catalog()).find((m) => m.id === "bare");
    // No size known, no memory budget: nothing to fit against.
    expect(bare).toEqual({
      id: "bare",
      name: "Bare",
      role: "chat",
      uri: "hf:org/repo/bare.gguf",
      architecture: "lfm2",
      license,
      present: false,
    });
  });

  it("loads a catalog embedding model with the embed role, and embeds with it", async () => {
    const status = await own.models.load("stories-embed");
    expect(status).toMatchObject({ id: "stories-embed", state: "ready", role: "embed" });
    const { model, vectors } = await own.embed({
      model: "stories-embed",
      texts: ["Once upon a time", "a red ball"],
    });
    expect(model).toBe("stories-embed");
    expect(vectors.map((v) => v.length)).toEqual([64, 64]);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it("refuses to load a vision model or a projector by name: neither is a chat or embedding model", async () => {
    for (const id of ["eyes", "eyes-mmproj"]) {
      await expect(own.models.load(id)).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
      expect(own.models.list().map((m) => m.id)).not.toContain(id);
    }
  });
});
