import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createModelStore } from "@sluice/core";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreModelResolver } from "../src/index.ts";

describe("StoreModelResolver", () => {
  let dir: string;
  let resolver: StoreModelResolver;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-sources-"));
    await mkdir(join(dir, "models"));
    file = join(dir, "models", "tiny.gguf");
    await copyFile(await ensureSynthModel({ preset: "lfm2-tiny" }), file);
    resolver = new StoreModelResolver(createModelStore({ modelsDir: join(dir, "models") }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("resolves a path relative to the working directory", async () => {
    const resolved = await resolver.resolve(`./${relative(process.cwd(), file)}`);
    expect(resolved.path).toBe(file);
    expect(resolved.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("finds a bare file name in the models directory", async () => {
    expect((await resolver.resolve("tiny.gguf")).path).toBe(file);
  });

  it("reports a bare file name found nowhere as MODEL_NOT_FOUND", async () => {
    await expect(resolver.resolve("missing.gguf")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
  });
});
