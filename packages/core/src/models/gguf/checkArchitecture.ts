import { LLAMA_CPP_ARCHITECTURES, PROJECTOR_ARCHITECTURE } from "./architectures.ts";
import { corrupt, type GgufHeader, type GgufTensor, GgufValueType, unsupported } from "./parseGguf.ts";

/** What a model file is used as; a projector must be a clip file and nothing else may be. */
export type GgufExpectedKind = "model" | "projector";

const MAX_LAYERS = 4096;
const MAX_WIDTH = 1 << 20;

type Md = GgufHeader["metadata"];

function str(md: Md, key: string): string | undefined {
  const kv = md.get(key);
  return kv?.type === GgufValueType.STRING && typeof kv.value === "string" ? kv.value : undefined;
}

/** An integer scalar, or undefined when absent; MODEL_CORRUPT when present with another type. */
function int(md: Md, key: string): number | undefined {
  const kv = md.get(key);
  if (kv === undefined) return undefined;
  const v = kv.value;
  if ((typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint") {
    if (kv.type === GgufValueType.FLOAT32 || kv.type === GgufValueType.FLOAT64) {
      throw corrupt(`'${key}' is not an integer`, { key });
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw corrupt(`'${key}' is out of range`, { key });
    return n;
  }
  throw corrupt(`'${key}' is not an integer`, { key });
}

function requireInt(md: Md, key: string, min: number, max: number): number {
  const n = int(md, key);
  if (n === undefined) throw corrupt(`missing required key '${key}'`, { key });
  if (n < min || n > max) throw corrupt(`'${key}' = ${n} is outside [${min}, ${max}]`, { key });
  return n;
}

/** A per-layer value stored either as one integer or as an array with one entry per layer. */
function perLayer(md: Md, key: string, layers: number, fallback?: number[]): number[] {
  const kv = md.get(key);
  if (kv === undefined) {
    if (fallback) return fallback;
    throw corrupt(`missing required key '${key}'`, { key });
  }
  if (kv.type === GgufValueType.ARRAY && typeof kv.value === "object" && "kind" in kv.value) {
    const arr = kv.value;
    if (arr.kind !== "array" || arr.values === undefined || arr.length !== layers) {
      throw corrupt(`'${key}' must hold one integer per layer (${layers})`, { key });
    }
    return arr.values;
  }
  return new Array<number>(layers).fill(requireInt(md, key, 0, Number.MAX_SAFE_INTEGER));
}

function vocabSize(md: Md): number {
  const kv = md.get("tokenizer.ggml.tokens");
  if (
    kv === undefined ||
    typeof kv.value !== "object" ||
    !("kind" in kv.value) ||
    kv.value.kind !== "array"
  ) {
    throw corrupt("missing tokenizer.ggml.tokens");
  }
  if (kv.value.elementType !== GgufValueType.STRING || kv.value.length === 0) {
    throw corrupt("tokenizer.ggml.tokens must be a non-empty string array");
  }
  return kv.value.length;
}

class TensorSet {
  private readonly byName: Map<string, GgufTensor>;
  constructor(tensors: GgufTensor[]) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  require(name: string, shape?: number[]): void {
    const t = this.byName.get(name);
    if (t === undefined) throw corrupt(`missing tensor '${name}'`, { tensor: name });
    if (shape && (t.dims.length !== shape.length || t.dims.some((d, i) => d !== shape[i]))) {
      throw corrupt(`tensor '${name}' has shape [${t.dims}], expected [${shape}]`, { tensor: name });
    }
  }
  requireAttentionProjections(layer: number): void {
    if (this.has(`blk.${layer}.attn_qkv.weight`)) return;
    for (const p of ["attn_q", "attn_k", "attn_v"]) this.require(`blk.${layer}.${p}.weight`);
  }
}

interface Shape {
  layers: number;
  embd: number;
  heads: number[];
  headsKv: number[];
  vocab: number;
}

function commonShape(md: Md, arch: string, headsKvOptional: boolean): Shape {
  const layers = requireInt(md, `${arch}.block_count`, 1, MAX_LAYERS);
  const embd = requireInt(md, `${arch}.embedding_length`, 1, MAX_WIDTH);
  requireInt(md, `${arch}.context_length`, 1, 2 ** 31 - 1);
  const ff = perLayer(md, `${arch}.feed_forward_length`, layers);
  if (ff.some((f) => f < 1 || f > 16 * MAX_WIDTH))
    throw corrupt(`'${arch}.feed_forward_length' out of range`);
  const heads = perLayer(md, `${arch}.attention.head_count`, layers);
  const headsKv = perLayer(
    md,
    `${arch}.attention.head_count_kv`,
    layers,
    headsKvOptional ? heads : undefined,
  );
  for (let i = 0; i < layers; i++) {
    const h = heads[i]!;
    const kv = headsKv[i]!;
    if (h < 1 || h > MAX_WIDTH || embd % h !== 0) {
      throw corrupt(`layer ${i}: head count ${h} does not divide embedding length ${embd}`);
    }
    if (kv < 0 || kv > h || (kv > 0 && h % kv !== 0)) {
      throw corrupt(`layer ${i}: KV head count ${kv} does not divide head count ${h}`);
    }
  }
  return { layers, embd, heads, headsKv, vocab: vocabSize(md) };
}

function checkLfm2(header: GgufHeader): void {
  const md = header.metadata;
  const s = commonShape(md, "lfm2", false);
  const t = new TensorSet(header.tensors);
  t.require("token_embd.weight", [s.embd, s.vocab]);
  t.require("token_embd_norm.weight", [s.embd]);
  const hasConv = s.headsKv.some((kv) => kv === 0);
  const lCache = hasConv ? requireInt(md, "lfm2.shortconv.l_cache", 1, 64) : 0;
  for (let i = 0; i < s.layers; i++) {
    t.require(`blk.${i}.attn_norm.weight`, [s.embd]);
    t.require(`blk.${i}.ffn_norm.weight`, [s.embd]);
    for (const p of ["ffn_gate", "ffn_up", "ffn_down"]) t.require(`blk.${i}.${p}.weight`);
    if (s.headsKv[i] === 0) {
      t.require(`blk.${i}.shortconv.conv.weight`, [lCache, s.embd]);
      t.require(`blk.${i}.shortconv.in_proj.weight`);
      t.require(`blk.${i}.shortconv.out_proj.weight`);
    } else {
      const headDim = s.embd / s.heads[i]!;
      t.require(`blk.${i}.attn_q_norm.weight`, [headDim]);
      t.require(`blk.${i}.attn_k_norm.weight`, [headDim]);
      t.requireAttentionProjections(i);
      t.require(`blk.${i}.attn_output.weight`);
    }
  }
}

function checkLlama(header: GgufHeader): void {
  const md = header.metadata;
  const s = commonShape(md, "llama", true);
  if (s.headsKv.some((kv) => kv === 0)) throw corrupt("llama: KV head count must be positive");
  const experts = int(md, "llama.expert_count") ?? 0;
  const t = new TensorSet(header.tensors);
  t.require("token_embd.weight", [s.embd, s.vocab]);
  t.require("output_norm.weight", [s.embd]);
  for (let i = 0; i < s.layers; i++) {
    t.require(`blk.${i}.attn_norm.weight`, [s.embd]);
    t.requireAttentionProjections(i);
    t.require(`blk.${i}.attn_output.weight`);
    t.require(`blk.${i}.ffn_norm.weight`, [s.embd]);
    const ffn =
      experts > 0 ? ["ffn_gate_inp", "ffn_up_exps", "ffn_down_exps"] : ["ffn_gate", "ffn_up", "ffn_down"];
    for (const p of ffn) t.require(`blk.${i}.${p}.weight`);
  }
}

const detailedChecks: Record<string, (header: GgufHeader) => void> = { lfm2: checkLfm2, llama: checkLlama };

/**
 * Checks that the architecture is one the bundled llama.cpp supports, as the
 * kind of file expected, and for architectures Sluice runs, that the
 * hyper-parameters are sane and the tensors the architecture needs exist.
 */
export function checkArchitecture(header: GgufHeader, expected?: GgufExpectedKind): string {
  const arch = str(header.metadata, "general.architecture");
  if (arch === undefined) throw corrupt("missing general.architecture");
  if (!LLAMA_CPP_ARCHITECTURES.has(arch)) {
    throw unsupported(`architecture '${arch}' is not supported by the bundled llama.cpp`, {
      architecture: arch,
    });
  }
  if (expected === "projector" && arch !== PROJECTOR_ARCHITECTURE) {
    throw unsupported(`expected a projector (clip) file, found architecture '${arch}'`, {
      architecture: arch,
    });
  }
  if (expected === "model" && arch === PROJECTOR_ARCHITECTURE) {
    throw unsupported("a projector (clip) file cannot be loaded as a model", { architecture: arch });
  }
  detailedChecks[arch]?.(header);
  return arch;
}
