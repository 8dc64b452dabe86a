import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseDefaultModel } from "../src/defaultModel.ts";

describe("chooseDefaultModel", () => {
  it("falls back to the synthetic lfm2-tiny when the catalog default is neither on disk nor downloadable", async () => {
    const asked: string[] = [];
    const chosen = await chooseDefaultModel({
      preferred: "lfm2-350m-q8_0",
      dirs: [mkdtempSync(join(tmpdir(), "sluice-empty-"))],
      download: async (id) => {
        asked.push(id);
        return false;
      },
    });
    expect(asked).toEqual(["lfm2-350m-q8_0"]);
    expect(chosen).toMatchObject({ id: "lfm2-tiny", synthetic: true });
    expect(chosen.reason).toContain("output is noise");
  });

  it("serves the catalog default once a download succeeds", async () => {
    const chosen = await chooseDefaultModel({
      preferred: "lfm2-350m-q8_0",
      dirs: [mkdtempSync(join(tmpdir(), "sluice-empty-"))],
      download: async () => true,
    });
    expect(chosen).toMatchObject({ id: "lfm2-350m-q8_0", source: "lfm2-350m-q8_0", synthetic: false });
  });

  it("takes an explicit synthetic preset as asked", async () => {
    expect(await chooseDefaultModel({ requested: "lfm2-tiny", dirs: [] })).toMatchObject({
      id: "lfm2-tiny",
      synthetic: true,
    });
  });
});
