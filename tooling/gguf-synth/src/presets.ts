import { GgmlType, type MetaValue, type TensorInfo } from "./ggufWriter.ts";
import { buildVocabulary, CHATML_TEMPLATE } from "./tokenizer.ts";

export type WeightType = "f32" | "f16" | "q8_0" | "q4_0";
export type Pooling = "none" | "mean" | "last";

interface Lfm2Shape {
  arch: "lfm2";
  embd: number;
  layers: number;
  ff: number;
  heads: number;
  kvHeads: number;
  attentionLayers: readonly number[];
  vocab: number;
  ctx: number;
  /** Parameter count of the published model, where this preset copies one. */
  publishedParams?: number;
  /** Scale of the short-conv kernels' uniform init. Defaults to `0.5`. */
  convScale?: number;
  /** Gain of the final norm before the tied output projection (sharpens the logits). Defaults to `1`. */
  outputGain?: number;
}

interface LlamaShape {
  arch: "llama";
  embd: number;
  layers: number;
  ff: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  ctx: number;
  publishedParams?: undefined;
}

export type Shape = Lfm2Shape | LlamaShape;

/** The shapes Sluice can synthesise. The LFM2 ones copy the published models' dimensions. */
export const PRESETS = {
  "lfm2-tiny": {
    arch: "lfm2",
    embd: 64,
    layers: 4,
    ff: 192,
    heads: 4,
    kvHeads: 2,
    attentionLayers: [1, 3],
    vocab: 512,
    ctx: 2048,
  },
  // Fidelity probe: the lfm2-tiny shape with one attention layer (the last) and
  // strong short-conv kernels, so each greedy token depends mostly on the conv
  // state, and an 8x output gain, so top-1/top-2 logit gaps are wide. A
  // corrupted conv state changes its output; kernel rounding noise (~1e-6
  // relative in F32) cannot flip a token. See packages/core/test/fidelity.
  "lfm2-convprobe": {
    arch: "lfm2",
    embd: 64,
    layers: 4,
    ff: 192,
    heads: 4,
    kvHeads: 2,
    attentionLayers: [3],
    vocab: 512,
    ctx: 2048,
    convScale: 2,
    outputGain: 8,
  },
  "lfm2-350m": {
    arch: "lfm2",
    embd: 1024,
    layers: 16,
    ff: 4608,
    heads: 16,
    kvHeads: 8,
    attentionLayers: [2, 5, 8, 10, 12, 14],
    vocab: 65536,
    ctx: 32768,
    publishedParams: 354_483_968,
  },
  "lfm2-700m": {
    arch: "lfm2",
    embd: 1536,
    layers: 16,
    ff: 6912,
    heads: 24,
    kvHeads: 8,
    attentionLayers: [2, 5, 8, 10, 12, 14],
    vocab: 65536,
    ctx: 32768,
    publishedParams: 742_489_344,
  },
  "lfm2-1.2b": {
    arch: "lfm2",
    embd: 2048,
    layers: 16,
    ff: 8192,
    heads: 32,
    kvHeads: 8,
    attentionLayers: [2, 5, 8, 10, 12, 14],
    vocab: 65536,
    ctx: 32768,
    publishedParams: 1_170_340_608,
  },
  "lfm2-2.6b": {
    arch: "lfm2",
    embd: 2048,
    layers: 30,
    ff: 10752,
    heads: 32,
    kvHeads: 8,
    attentionLayers: [2, 6, 10, 14, 18, 21, 24, 27],
    vocab: 65536,
    ctx: 32768,
    publishedParams: 2_569_272_320,
  },
  "llama-tiny": { arch: "llama", embd: 64, layers: 2, ff: 128, heads: 4, kvHeads: 4, vocab: 512, ctx: 2048 },
} as const satisfies Record<string, Shape>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(value: string): value is PresetName {
  return Object.hasOwn(PRESETS, value);
}

const GGML_OF: Record<WeightType, GgmlType> = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
};
const FILE_TYPE_OF: Record<WeightType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };
const POOLING_OF: Record<Pooling, number | undefined> = { none: undefined, mean: 1, last: 3 };

export type Init = { kind: "uniform"; scale: number } | { kind: "constant"; value: number };
export interface PlannedTensor extends TensorInfo {
  init: Init;
}

export interface ModelPlan {
  metadata: Array<[string, MetaValue]>;
  tensors: PlannedTensor[];
  params: number;
}

export interface PlanOptions {
  type: WeightType;
  ctx?: number;
  pooling?: Pooling;
  name?: string;
  /** Control tokens appended to the vocabulary (the last ids). Defaults to none. */
  extraControlTokens?: readonly string[];
}

/** Metadata and tensor list of a preset, before any weight is drawn. */
export function planModel(preset: PresetName, options: PlanOptions): ModelPlan {
  const shape: Shape = PRESETS[preset];
  const ctx = options.ctx ?? shape.ctx;
  if (!Number.isInteger(ctx) || ctx < 16 || ctx > 1_048_576)
    throw new RangeError(`ctx ${ctx} is out of range 16..1048576`);
  const mat = GGML_OF[options.type];
  const { embd: E, ff: F, heads, kvHeads, layers, vocab } = shape;
  const hd = E / heads;
  const kvDim = kvHeads * hd;
  const linear = (name: string, dims: [number, number]): PlannedTensor => ({
    name,
    dims,
    type: mat,
    init: { kind: "uniform", scale: 0.5 / Math.sqrt(dims[0]) },
  });
  const norm = (name: string, n: number, value = 1): PlannedTensor => ({
    name,
    dims: [n],
    type: GgmlType.F32,
    init: { kind: "constant", value },
  });
  const convScale = (shape.arch === "lfm2" ? shape.convScale : undefined) ?? 0.5;
  const outputGain = (shape.arch === "lfm2" ? shape.outputGain : undefined) ?? 1;

  const arch = shape.arch;
  const voc = buildVocabulary(vocab, options.extraControlTokens);
  const metadata: Array<[string, MetaValue]> = [
    ["general.architecture", { type: "string", value: arch }],
    ["general.name", { type: "string", value: options.name ?? `sluice-synth ${preset} ${options.type}` }],
    ["general.file_type", { type: "u32", value: FILE_TYPE_OF[options.type] }],
    ["general.alignment", { type: "u32", value: 32 }],
    ["general.license", { type: "string", value: "synthetic random weights" }],
    [`${arch}.block_count`, { type: "u32", value: layers }],
    [`${arch}.context_length`, { type: "u32", value: ctx }],
    [`${arch}.embedding_length`, { type: "u32", value: E }],
    [`${arch}.feed_forward_length`, { type: "u32", value: F }],
    [`${arch}.attention.head_count`, { type: "u32", value: heads }],
    [`${arch}.rope.freq_base`, { type: "f32", value: shape.arch === "lfm2" ? 1_000_000 : 10_000 }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: "f32", value: 1e-5 }],
    [`${arch}.vocab_size`, { type: "u32", value: vocab }],
  ];
  if (shape.arch === "lfm2") {
    const attn = new Set(shape.attentionLayers);
    metadata.push(
      [
        "lfm2.attention.head_count_kv",
        { type: "i32[]", value: Array.from({ length: layers }, (_, i) => (attn.has(i) ? kvHeads : 0)) },
      ],
      ["lfm2.shortconv.l_cache", { type: "u32", value: 3 }],
    );
  } else {
    metadata.push(
      ["llama.attention.head_count_kv", { type: "u32", value: kvHeads }],
      ["llama.rope.dimension_count", { type: "u32", value: hd }],
    );
  }
  const pooling = POOLING_OF[options.pooling ?? "none"];
  if (pooling !== undefined) metadata.push([`${arch}.pooling_type`, { type: "u32", value: pooling }]);
  metadata.push(
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: shape.arch === "lfm2" ? "lfm2" : "default" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: voc.tokens }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: voc.tokenTypes }],
    ["tokenizer.ggml.merges", { type: "string[]", value: voc.merges }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 7 }],
    ["tokenizer.ggml.padding_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.chat_template", { type: "string", value: CHATML_TEMPLATE }],
  );

  const tensors: PlannedTensor[] = [
    { name: "token_embd.weight", dims: [E, vocab], type: mat, init: { kind: "uniform", scale: 0.5 } },
    // In LFM2 this is the final norm, applied before the tied output projection.
    norm(shape.arch === "lfm2" ? "token_embd_norm.weight" : "output_norm.weight", E, outputGain),
  ];
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}`;
    tensors.push(norm(`${p}.attn_norm.weight`, E), norm(`${p}.ffn_norm.weight`, E));
    tensors.push(
      linear(`${p}.ffn_gate.weight`, [E, F]),
      linear(`${p}.ffn_up.weight`, [E, F]),
      linear(`${p}.ffn_down.weight`, [F, E]),
    );
    const isAttention = shape.arch === "llama" || shape.attentionLayers.includes(i);
    if (isAttention) {
      tensors.push(
        linear(`${p}.attn_q.weight`, [E, E]),
        linear(`${p}.attn_k.weight`, [E, kvDim]),
        linear(`${p}.attn_v.weight`, [E, kvDim]),
        linear(`${p}.attn_output.weight`, [E, E]),
      );
      if (shape.arch === "lfm2")
        tensors.push(norm(`${p}.attn_q_norm.weight`, hd), norm(`${p}.attn_k_norm.weight`, hd));
    } else {
      tensors.push(
        {
          name: `${p}.shortconv.conv.weight`,
          dims: [3, E],
          type: GgmlType.F32,
          init: { kind: "uniform", scale: convScale },
        },
        linear(`${p}.shortconv.in_proj.weight`, [E, 3 * E]),
        linear(`${p}.shortconv.out_proj.weight`, [E, E]),
      );
    }
  }
  const params = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  return { metadata, tensors, params };
}
