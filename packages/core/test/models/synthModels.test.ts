import { utimes } from "node:fs/promises";
import { ensureSynthModel, ensureSynthVisionModel } from "@sluice/gguf-synth";
import { afterAll, describe, expect, it } from "vitest";
import { validateGgufFile } from "../../src/models/index.ts";
import { cleanup, recordEvents, storeFor, tempDir } from "./fixtures/storeHarness.ts";

describe("model store on gguf-synth models", () => {
  const dirs: string[] = [];
  afterAll(() => cleanup(dirs));

  it("accepts every small gguf-synth preset, its projector included", async () => {
    for (const preset of ["lfm2-tiny", "llama-tiny"] as const) {
      const path = await ensureSynthModel({ preset, type: "q8_0" });
      const summary = await validateGgufFile(path, { expect: "model" });
      expect(summary.architecture).toBe(preset.startsWith("lfm2") ? "lfm2" : "llama");
    }
    const { modelPath, mmprojPath } = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny" });
    await expect(validateGgufFile(modelPath, { expect: "model" })).resolves.toMatchObject({
      architecture: "lfm2",
    });
    await expect(validateGgufFile(mmprojPath, { expect: "projector" })).resolves.toMatchObject({
      architecture: "clip",
    });
  });

  it("does not re-hash an unchanged 350M-shaped file on the second resolve, nor after a restart", async () => {
    const path = await ensureSynthModel({ preset: "lfm2-350m", type: "q8_0" });
    const modelsDir = await tempDir();
    dirs.push(modelsDir);

    const first = storeFor(modelsDir, undefined, []);
    const firstEvents = recordEvents(first, ["hash"]);
    const resolved = await first.resolve(path);
    expect(resolved.summary.fileSize).toBeGreaterThan(350_000_000);
    expect(resolved.summary.architecture).toBe("lfm2");
    expect(firstEvents.count("hash")).toBe(1);

    const started = performance.now();
    await first.resolve(path);
    const cachedMs = performance.now() - started;
    expect(firstEvents.count("hash")).toBe(1);

    // A new store over the same models directory: what a restarted process sees.
    const restarted = storeFor(modelsDir, undefined, []);
    const restartedEvents = recordEvents(restarted, ["hash", "verify"]);
    expect((await restarted.resolve(path)).sha256).toBe(resolved.sha256);
    expect(restartedEvents.count("hash")).toBe(0);
    expect(restartedEvents.of("verify")[0]?.cached).toBe(true);

    // A changed mtime invalidates the record: the file is hashed again.
    const now = new Date();
    await utimes(path, now, now);
    await restarted.resolve(path);
    expect(restartedEvents.count("hash")).toBe(1);
    console.log(
      `350M-shaped file: first resolve hashed ${firstEvents.of("hash")[0]?.bytes} bytes in ` +
        `${firstEvents.of("hash")[0]?.ms.toFixed(0)} ms; cached resolve took ${cachedMs.toFixed(1)} ms`,
    );
  });
});
