import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type VisionSynthResult, writeSynthVisionModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelNotFoundError, ModelUnsupportedError } from "../../src/errors/index.ts";
import { checkVisionPair } from "../../src/runtime/llama-vision/checkVisionPair.ts";
import { buildGguf, type GgufSpec } from "../models/fixtures/ggufFixture.ts";

type Kv = GgufSpec["kvs"][number];

let dir: string;
let pair: VisionSynthResult;
let mismatched: VisionSynthResult;
let seq = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-vision-pair-"));
  pair = await writeSynthVisionModel({ preset: "lfm2-vl-tiny", out: join(dir, "pair.gguf"), type: "f32" });
  mismatched = await writeSynthVisionModel({
    preset: "lfm2-vl-tiny",
    out: join(dir, "wide.gguf"),
    type: "f32",
    projectionDim: 128,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A metadata-only GGUF file holding `kvs`. */
async function ggufWith(kvs: Kv[]): Promise<string> {
  const path = join(dir, `f${seq++}.gguf`);
  await writeFile(path, buildGguf({ kvs, tensors: [] }));
  return path;
}

const textModel = (extra: Kv[] = []): Promise<string> =>
  ggufWith([
    { key: "general.architecture", type: "string", value: "lfm2" },
    { key: "lfm2.embedding_length", type: "u32", value: 64 },
    ...extra,
  ]);

const projector = (extra: Kv[]): Promise<string> =>
  ggufWith([{ key: "general.architecture", type: "string", value: "clip" }, ...extra]);

/** The MODEL_UNSUPPORTED error checkVisionPair rejects with. */
async function refusal(modelPath: string, mmprojPath: string): Promise<ModelUnsupportedError> {
  const error = await checkVisionPair(modelPath, mmprojPath).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelUnsupportedError);
  expect(error).toMatchObject({ code: "MODEL_UNSUPPORTED", details: { modelPath, mmprojPath } });
  return error as ModelUnsupportedError;
}

describe("checkVisionPair", () => {
  it("accepts a synthesised LFM2-VL pair and reports what both files declare", async () => {
    expect(await checkVisionPair(pair.model.path, pair.mmproj.path)).toEqual({
      architecture: "lfm2",
      embeddingLength: 64,
      trainContextSize: 4096,
      projectorType: "lfm2",
      projectionDim: 64,
    });
  });

  it("refuses a projector whose output width is not the text model's embedding length", async () => {
    const error = await refusal(pair.model.path, mismatched.mmproj.path);
    expect(error.details).toMatchObject({
      reason: "projector-mismatch",
      projectionDim: 128,
      embeddingLength: 64,
    });
    expect(error.message).toBe(
      `the projector ${mismatched.mmproj.path} outputs 128-wide embeddings; the text model ${pair.model.path} expects 64`,
    );
  });

  it("accepts a projector that declares no width, type or context, reporting defaults", async () => {
    const mmproj = await projector([{ key: "clip.has_vision_encoder", type: "bool", value: true }]);
    const info = await checkVisionPair(await textModel(), mmproj);
    expect(info).toEqual({
      architecture: "lfm2",
      embeddingLength: 64,
      trainContextSize: 0,
      projectorType: "",
    });
    expect("projectionDim" in info).toBe(false);
  });

  it("refuses a projector given as the text model", async () => {
    const error = await refusal(pair.mmproj.path, pair.mmproj.path);
    expect(error.details.reason).toBe("model-is-projector");
    expect(error.message).toBe(`${pair.mmproj.path} is a projector, not a text model`);
  });

  it("refuses a text model without a numeric embedding length", async () => {
    const noArchitecture = await ggufWith([{ key: "general.name", type: "string", value: "nameless" }]);
    const error = await refusal(noArchitecture, pair.mmproj.path);
    expect(error.details.reason).toBe("no-embedding-length");
    expect(error.message).toBe(`${noArchitecture} declares no .embedding_length`);

    const textWidth = await ggufWith([
      { key: "general.architecture", type: "string", value: "llama" },
      { key: "llama.embedding_length", type: "string", value: "64" },
    ]);
    expect((await refusal(textWidth, pair.mmproj.path)).details.reason).toBe("no-embedding-length");
  });

  it("refuses a second text model, or a file without an architecture, as the projector", async () => {
    const twoModels = await refusal(pair.model.path, pair.model.path);
    expect(twoModels.details.reason).toBe("not-a-projector");
    expect(twoModels.message).toBe(`${pair.model.path} is not a projector (architecture lfm2)`);

    const bare = await ggufWith([]);
    expect((await refusal(pair.model.path, bare)).message).toBe(
      `${bare} is not a projector (architecture undefined)`,
    );
  });

  it("refuses a clip file without a vision encoder", async () => {
    for (const encoder of [[], [{ key: "clip.has_vision_encoder", type: "bool", value: false }]] as Kv[][]) {
      const mmproj = await projector([
        ...encoder,
        { key: "clip.has_audio_encoder", type: "bool", value: true },
        { key: "clip.vision.projection_dim", type: "u32", value: 64 },
      ]);
      const error = await refusal(pair.model.path, mmproj);
      expect(error.details.reason).toBe("no-vision-encoder");
      expect(error.message).toBe(`${mmproj} has no vision encoder`);
    }
  });

  it("passes MODEL_NOT_FOUND through for a missing file", async () => {
    const absent = join(dir, "absent.mmproj.gguf");
    const error = await checkVisionPair(pair.model.path, absent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ code: "MODEL_NOT_FOUND", details: { path: absent } });
  });
});
