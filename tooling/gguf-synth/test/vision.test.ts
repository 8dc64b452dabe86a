import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, type Llama, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSynthVisionModel } from "../src/fixtures.ts";
import { buildVocabulary } from "../src/tokenizer.ts";
import { LFM2_VL_CONTROL_TOKENS, mmprojPathFor, writeSynthVisionModel } from "../src/vision.ts";

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-synth-vision-"));
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Flat metadata of a GGUF file, read by node-llama-cpp's JavaScript parser (no native load). */
async function meta(path: string): Promise<Record<string, unknown>> {
  const info = await readGgufFileInfo(path, { readTensorInfo: true });
  const flat: Record<string, unknown> = {};
  const walk = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else flat[prefix] = value;
  };
  walk("", info.metadata);
  flat["#tensors"] = info.tensorInfo?.map((t) => `${t.name}:${t.dimensions.join("x")}`);
  return flat;
}

describe("lfm2-vl-tiny", () => {
  it("writes the projector beside the text model, byte-identical for the same seed", async () => {
    const a = await writeSynthVisionModel({ preset: "lfm2-vl-tiny", out: join(dir, "a.gguf"), seed: 3 });
    const b = await writeSynthVisionModel({ preset: "lfm2-vl-tiny", out: join(dir, "b.gguf"), seed: 3 });
    expect(a.mmproj.path).toBe(join(dir, "a.mmproj.gguf"));
    expect(a.model.sha256).toBe(b.model.sha256);
    expect(a.mmproj.sha256).toBe(b.mmproj.sha256);
    expect(a.mmproj.sha256).not.toBe(a.model.sha256);
    expect(mmprojPathFor("/m/x.gguf")).toBe("/m/x.mmproj.gguf");
  });

  it("gives the projector the clip metadata and tensors llama.cpp's LFM2 projector needs", async () => {
    const { mmproj } = await writeSynthVisionModel({ preset: "lfm2-vl-tiny", out: join(dir, "m.gguf") });
    const m = await meta(mmproj.path);
    expect(m).toMatchObject({
      "general.architecture": "clip",
      "clip.has_vision_encoder": true,
      "clip.projector_type": "lfm2",
      "clip.use_gelu": true,
      "clip.vision.image_size": 256,
      "clip.vision.patch_size": 16,
      "clip.vision.projection_dim": 64,
      "clip.vision.projector.scale_factor": 2,
    });
    expect(m["clip.vision.image_mean"]).toEqual([0.5, 0.5, 0.5]);
    const tensors = m["#tensors"] as string[];
    expect(tensors).toEqual(
      expect.arrayContaining([
        "v.patch_embd.weight:16x16x3x64",
        "v.position_embd.weight:64x256",
        "v.blk.1.attn_out.bias:64",
        "mm.1.weight:256x64",
        "mm.2.weight:64x64",
      ]),
    );
  });

  it("sets projection_dim to the requested width for a mismatched pair", async () => {
    const { mmproj } = await writeSynthVisionModel({
      preset: "lfm2-vl-tiny",
      out: join(dir, "x.gguf"),
      projectionDim: 128,
    });
    const m = await meta(mmproj.path);
    expect(m["clip.vision.projection_dim"]).toBe(128);
    expect(m["#tensors"]).toContain("mm.2.weight:128x128");
  });

  it("has a text model that loads in llama.cpp and reads each image control token as one token", async () => {
    const { model: text } = await writeSynthVisionModel({ preset: "lfm2-vl-tiny", out: join(dir, "t.gguf") });
    const model = await llama.loadModel({ modelPath: text.path });
    try {
      expect(model.fileInfo.metadata.general.architecture).toBe("lfm2");
      for (const token of ["<image>", "<|image_start|>", "<|img_row_2_col_3|>", "<|img_thumbnail|>"]) {
        expect(model.tokenize(token, true)).toHaveLength(1);
      }
    } finally {
      await model.dispose();
    }
  });

  it("appends extra control tokens as the last ids without changing the vocabulary size", () => {
    const voc = buildVocabulary(512, LFM2_VL_CONTROL_TOKENS);
    expect(voc.tokens).toHaveLength(512);
    expect(voc.tokens.slice(-LFM2_VL_CONTROL_TOKENS.length)).toEqual([...LFM2_VL_CONTROL_TOKENS]);
    expect(voc.tokenTypes.slice(-LFM2_VL_CONTROL_TOKENS.length).every((t) => t === 3)).toBe(true);
    expect(() => buildVocabulary(300, LFM2_VL_CONTROL_TOKENS)).toThrow(RangeError);
  });

  it("caches a generated pair by its options in ensureSynthVisionModel", async () => {
    const first = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", dir, type: "f32" });
    const again = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", dir, type: "f32" });
    const mismatched = await ensureSynthVisionModel({
      preset: "lfm2-vl-tiny",
      dir,
      type: "f32",
      projectionDim: 32,
    });
    expect(again).toEqual(first);
    expect(first.mmprojPath).toBe(mmprojPathFor(first.modelPath));
    expect(mismatched.modelPath).not.toBe(first.modelPath);
  });

  it("is written by the CLI as a pair", async () => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const out = await mkdtemp(join(dir, "cli-"));
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", cli, "lfm2-vl-tiny", "--out", join(out, "vl.gguf")],
      {
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(0);
    expect((await readdir(out)).sort()).toEqual(["vl.gguf", "vl.mmproj.gguf"]);
    expect(r.stdout.match(/sha256 [0-9a-f]{64}/g)).toHaveLength(2);
  });
});
