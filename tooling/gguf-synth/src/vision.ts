/**
 * Synthetic LFM2-VL pairs: a text model in the LFM2 architecture that carries
 * LFM2-VL's image control tokens, and its multimodal projector (a SigLIP-style
 * vision encoder plus the LFM2 pixel-unshuffle projector, architecture "clip")
 * written beside it as `<name>.mmproj.gguf`. Random weights, real shapes: the
 * pair loads in llama.cpp's mtmd and costs what a trained pair of that size costs.
 */
import { GgmlType, type MetaValue } from "./ggufWriter.ts";
import { type ModelPlan, type PlannedTensor, PRESETS, planModel, type WeightType } from "./presets.ts";
import { type SynthResult, writePlannedModel } from "./synth.ts";

/** Grid positions LFM2-VL marks tiles with; 10 × 10 covers every grid its tiler makes. */
const MAX_GRID = 10;

/** LFM2-VL's image control tokens, in the order they are appended to the vocabulary. */
export const LFM2_VL_CONTROL_TOKENS: readonly string[] = [
  "<image>",
  "<|image_start|>",
  "<|image_end|>",
  "<|img_thumbnail|>",
  ...Array.from({ length: MAX_GRID * MAX_GRID }, (_, i) => {
    const row = Math.floor(i / MAX_GRID) + 1;
    const col = (i % MAX_GRID) + 1;
    return `<|img_row_${row}_col_${col}|>`;
  }),
];

interface VisionEncoderShape {
  /** Width of the vision transformer. */
  embd: number;
  ff: number;
  heads: number;
  blocks: number;
  /** Side of the square the position embeddings are trained for. */
  imageSize: number;
  /** Kept at 16: llama.cpp's LFM2 tiler works in 512-pixel tiles of 16-pixel patches. */
  patchSize: number;
}

interface VisionPreset {
  /** The LFM2 text preset whose shape the text model copies. */
  text: keyof typeof PRESETS;
  /** Context length written to the text model. */
  ctx: number;
  vision: VisionEncoderShape;
}

/** Vision pairs Sluice can synthesise. */
export const VISION_PRESETS = {
  "lfm2-vl-tiny": {
    text: "lfm2-tiny",
    ctx: 4096,
    vision: { embd: 64, ff: 128, heads: 4, blocks: 2, imageSize: 256, patchSize: 16 },
  },
} as const satisfies Record<string, VisionPreset>;

export type VisionPresetName = keyof typeof VISION_PRESETS;
export const VISION_PRESET_NAMES = Object.keys(VISION_PRESETS) as VisionPresetName[];

export function isVisionPresetName(value: string): value is VisionPresetName {
  return Object.hasOwn(VISION_PRESETS, value);
}

/** Where the projector of a text model lives: `x.gguf` → `x.mmproj.gguf`. */
export function mmprojPathFor(modelPath: string): string {
  return modelPath.endsWith(".gguf") ? `${modelPath.slice(0, -5)}.mmproj.gguf` : `${modelPath}.mmproj.gguf`;
}

export interface ProjectorPlanOptions {
  /**
   * Width of the projector's output. llama.cpp requires it to equal the text
   * model's embedding length; tests set another value to get a mismatched pair.
   * Defaults to the text preset's embedding length.
   */
  projectionDim?: number;
  name?: string;
}

/** Metadata and tensors of a preset's projector (all F32: it is small, and it is what mtmd runs fastest). */
export function planProjector(preset: VisionPresetName, options: ProjectorPlanOptions = {}): ModelPlan {
  const { vision: v, text } = VISION_PRESETS[preset];
  const nEmbd = options.projectionDim ?? PRESETS[text].embd;
  if (!Number.isInteger(nEmbd) || nEmbd < 1)
    throw new RangeError(`projectionDim ${nEmbd} must be a positive integer`);
  const D = v.embd;
  const scale = 2;
  const merged = D * scale * scale;
  const patches = (v.imageSize / v.patchSize) ** 2;
  const f32 = GgmlType.F32;
  const weight = (name: string, dims: readonly number[]): PlannedTensor => ({
    name,
    dims,
    type: f32,
    init: { kind: "uniform", scale: 0.5 / Math.sqrt(dims[0]!) },
  });
  const bias = (name: string, n: number): PlannedTensor => ({
    name,
    dims: [n],
    type: f32,
    init: { kind: "uniform", scale: 0.02 },
  });
  const constant = (name: string, n: number, value: number): PlannedTensor => ({
    name,
    dims: [n],
    type: f32,
    init: { kind: "constant", value },
  });

  const metadata: Array<[string, MetaValue]> = [
    ["general.architecture", { type: "string", value: "clip" }],
    ["general.name", { type: "string", value: options.name ?? `sluice-synth ${preset} mmproj` }],
    ["general.file_type", { type: "u32", value: 0 }],
    ["general.alignment", { type: "u32", value: 32 }],
    ["general.license", { type: "string", value: "synthetic random weights" }],
    ["clip.has_vision_encoder", { type: "bool", value: true }],
    ["clip.projector_type", { type: "string", value: "lfm2" }],
    ["clip.use_gelu", { type: "bool", value: true }],
    ["clip.vision.image_size", { type: "u32", value: v.imageSize }],
    ["clip.vision.patch_size", { type: "u32", value: v.patchSize }],
    ["clip.vision.embedding_length", { type: "u32", value: D }],
    ["clip.vision.feed_forward_length", { type: "u32", value: v.ff }],
    ["clip.vision.block_count", { type: "u32", value: v.blocks }],
    ["clip.vision.attention.head_count", { type: "u32", value: v.heads }],
    ["clip.vision.attention.layer_norm_epsilon", { type: "f32", value: 1e-6 }],
    ["clip.vision.projection_dim", { type: "u32", value: nEmbd }],
    ["clip.vision.projector.scale_factor", { type: "u32", value: scale }],
    ["clip.vision.image_mean", { type: "f32[]", value: [0.5, 0.5, 0.5] }],
    ["clip.vision.image_std", { type: "f32[]", value: [0.5, 0.5, 0.5] }],
  ];

  const tensors: PlannedTensor[] = [
    weight("v.patch_embd.weight", [v.patchSize, v.patchSize, 3, D]),
    bias("v.patch_embd.bias", D),
    weight("v.position_embd.weight", [D, patches]),
  ];
  for (let i = 0; i < v.blocks; i++) {
    const p = `v.blk.${i}`;
    for (const proj of ["attn_q", "attn_k", "attn_v", "attn_out"]) {
      tensors.push(weight(`${p}.${proj}.weight`, [D, D]), bias(`${p}.${proj}.bias`, D));
    }
    tensors.push(
      constant(`${p}.ln1.weight`, D, 1),
      constant(`${p}.ln1.bias`, D, 0),
      constant(`${p}.ln2.weight`, D, 1),
      constant(`${p}.ln2.bias`, D, 0),
      weight(`${p}.ffn_up.weight`, [D, v.ff]),
      bias(`${p}.ffn_up.bias`, v.ff),
      weight(`${p}.ffn_down.weight`, [v.ff, D]),
      bias(`${p}.ffn_down.bias`, D),
    );
  }
  tensors.push(
    constant("v.post_ln.weight", D, 1),
    constant("v.post_ln.bias", D, 0),
    constant("mm.input_norm.weight", merged, 1),
    constant("mm.input_norm.bias", merged, 0),
    weight("mm.1.weight", [merged, nEmbd]),
    bias("mm.1.bias", nEmbd),
    weight("mm.2.weight", [nEmbd, nEmbd]),
    bias("mm.2.bias", nEmbd),
  );
  const params = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  return { metadata, tensors, params };
}

export interface VisionSynthOptions extends ProjectorPlanOptions {
  preset: VisionPresetName;
  /** The text model's file; the projector is written to `mmprojPathFor(out)` unless `mmprojOut` is given. */
  out: string;
  /** Defaults to `mmprojPathFor(out)`. */
  mmprojOut?: string;
  /** Type of the text model's weight matrices. Defaults to `"q8_0"`. */
  type?: WeightType;
  /** Defaults to `0`. */
  seed?: number;
  /** Context length written to the text model. Defaults to the preset's. */
  ctx?: number;
}

export interface VisionSynthResult {
  model: SynthResult;
  mmproj: SynthResult;
}

/** Writes a text model and its projector; same options give byte-identical files. */
export async function writeSynthVisionModel(options: VisionSynthOptions): Promise<VisionSynthResult> {
  const preset = VISION_PRESETS[options.preset];
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed ${seed} must be a non-negative integer`);
  const type = options.type ?? "q8_0";
  const textPlan = planModel(preset.text, {
    type,
    ctx: options.ctx ?? preset.ctx,
    name: options.name ?? `sluice-synth ${options.preset} ${type}`,
    extraControlTokens: LFM2_VL_CONTROL_TOKENS,
  });
  const projectorPlan = planProjector(options.preset, options);
  const model = await writePlannedModel(textPlan, { out: options.out, seed });
  const mmproj = await writePlannedModel(projectorPlan, {
    out: options.mmprojOut ?? mmprojPathFor(options.out),
    seed,
  });
  return { model, mmproj };
}
