import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../src/errors/index.ts";
import { parseGgufHeader } from "../../src/models/gguf/parseGguf.ts";
import { checkArchitecture, type GgufExpectedKind } from "../../src/models/index.ts";
import {
  buildGguf,
  type GgufSpec,
  LFM2_TINY,
  type Lfm2Shape,
  lfm2Spec,
  llamaSpec,
} from "./fixtures/ggufFixture.ts";

type Kv = GgufSpec["kvs"][number];

/** Builds the file, parses its header and checks it: the architecture, or "CODE: reason". */
function check(spec: GgufSpec, expected?: GgufExpectedKind): string {
  const bytes = buildGguf(spec);
  const header = parseGgufHeader({ bytes, fileSize: bytes.length, maxHeaderBytes: bytes.length });
  try {
    return checkArchitecture(header, expected);
  } catch (err) {
    if (isSluiceError(err)) return `${err.code}: ${String(err.details.reason)}`;
    throw err;
  }
}

/** `spec` with `kv` in place of the key/value of the same key (or added). */
function withKv(spec: GgufSpec, kv: Kv): GgufSpec {
  const at = spec.kvs.findIndex((k) => k.key === kv.key);
  const kvs = [...spec.kvs];
  if (at === -1) kvs.push(kv);
  else kvs[at] = kv;
  return { ...spec, kvs };
}

const withoutKv = (spec: GgufSpec, key: string): GgufSpec => ({
  ...spec,
  kvs: spec.kvs.filter((k) => k.key !== key),
});

const withoutTensors = (spec: GgufSpec, names: string[]): GgufSpec => ({
  ...spec,
  tensors: spec.tensors.filter((t) => !names.includes(t.name)),
});

const lfm2 = (shape: Partial<Lfm2Shape> = {}): GgufSpec => lfm2Spec({ ...LFM2_TINY, ...shape });

describe("checkArchitecture", () => {
  it("returns the architecture of well-formed lfm2 and llama files", () => {
    expect(check(lfm2())).toBe("lfm2");
    expect(check(lfm2(), "model")).toBe("lfm2");
    expect(check(llamaSpec(), "model")).toBe("llama");
  });

  it("accepts other architectures the bundled llama.cpp knows without checking their shape", () => {
    expect(
      check({ kvs: [{ key: "general.architecture", type: "string", value: "qwen2" }], tensors: [] }),
    ).toBe("qwen2");
  });

  it("refuses a file whose architecture is missing or not a string", () => {
    expect(check(withoutKv(lfm2(), "general.architecture"))).toBe(
      "MODEL_CORRUPT: missing general.architecture",
    );
    expect(check(withKv(lfm2(), { key: "general.architecture", type: "u32", value: 2 }))).toBe(
      "MODEL_CORRUPT: missing general.architecture",
    );
  });

  describe("hyper-parameters", () => {
    it("reads integers of any integer type, 64-bit ones included", () => {
      expect(check(withKv(lfm2(), { key: "lfm2.block_count", type: "u64", value: 4 }))).toBe("lfm2");
      expect(check(withKv(lfm2(), { key: "lfm2.block_count", type: "i32", value: 4 }))).toBe("lfm2");
    });

    it("refuses floats, strings and integers past 2^53 where an integer is required", () => {
      expect(check(withKv(lfm2(), { key: "lfm2.block_count", type: "f32", value: 4 }))).toBe(
        "MODEL_CORRUPT: 'lfm2.block_count' is not an integer",
      );
      expect(check(withKv(lfm2(), { key: "lfm2.block_count", type: "f32", value: 4.5 }))).toBe(
        "MODEL_CORRUPT: 'lfm2.block_count' is not an integer",
      );
      expect(check(withKv(lfm2(), { key: "lfm2.embedding_length", type: "string", value: "64" }))).toBe(
        "MODEL_CORRUPT: 'lfm2.embedding_length' is not an integer",
      );
      expect(check(withKv(lfm2(), { key: "lfm2.embedding_length", type: "u64", value: 2 ** 60 }))).toBe(
        "MODEL_CORRUPT: 'lfm2.embedding_length' is out of range",
      );
    });

    it("refuses missing and out-of-range sizes", () => {
      expect(check(withoutKv(lfm2(), "lfm2.context_length"))).toBe(
        "MODEL_CORRUPT: missing required key 'lfm2.context_length'",
      );
      expect(check(withKv(lfm2(), { key: "lfm2.block_count", type: "u32", value: 0 }))).toBe(
        "MODEL_CORRUPT: 'lfm2.block_count' = 0 is outside [1, 4096]",
      );
      expect(check(withKv(lfm2(), { key: "lfm2.embedding_length", type: "u32", value: 2 ** 20 + 1 }))).toBe(
        `MODEL_CORRUPT: 'lfm2.embedding_length' = ${2 ** 20 + 1} is outside [1, ${2 ** 20}]`,
      );
      expect(check(withKv(lfm2(), { key: "lfm2.feed_forward_length", type: "u32", value: 0 }))).toBe(
        "MODEL_CORRUPT: 'lfm2.feed_forward_length' out of range",
      );
    });

    it("takes per-layer values as one integer or as an array with one entry per layer", () => {
      // LFM2_TINY's head_count_kv is an array [0, 2, 0, 2]; head_count is a single integer.
      expect(
        check(withKv(lfm2(), { key: "lfm2.attention.head_count", type: "i32[]", value: [4, 4, 4, 4] })),
      ).toBe("lfm2");
      expect(
        check(withKv(lfm2(), { key: "lfm2.attention.head_count_kv", type: "i32[]", value: [0, 2, 0] })),
      ).toBe("MODEL_CORRUPT: 'lfm2.attention.head_count_kv' must hold one integer per layer (4)");
      expect(
        check(
          withKv(lfm2(), {
            key: "lfm2.attention.head_count_kv",
            type: "string[]",
            value: ["0", "2", "0", "2"],
          }),
        ),
      ).toBe("MODEL_CORRUPT: 'lfm2.attention.head_count_kv' must hold one integer per layer (4)");
    });

    it("requires lfm2's KV head counts, which tell attention layers from convolution layers", () => {
      expect(check(withoutKv(lfm2(), "lfm2.attention.head_count_kv"))).toBe(
        "MODEL_CORRUPT: missing required key 'lfm2.attention.head_count_kv'",
      );
    });

    it("refuses head counts that do not divide the embedding length", () => {
      expect(check(withKv(lfm2(), { key: "lfm2.attention.head_count", type: "u32", value: 3 }))).toBe(
        "MODEL_CORRUPT: layer 0: head count 3 does not divide embedding length 64",
      );
    });

    it("refuses KV head counts that do not divide the head count", () => {
      expect(
        check(withKv(lfm2(), { key: "lfm2.attention.head_count_kv", type: "i32[]", value: [0, 3, 0, 2] })),
      ).toBe("MODEL_CORRUPT: layer 1: KV head count 3 does not divide head count 4");
      expect(
        check(withKv(lfm2(), { key: "lfm2.attention.head_count_kv", type: "i32[]", value: [0, 2, 0, 8] })),
      ).toBe("MODEL_CORRUPT: layer 3: KV head count 8 does not divide head count 4");
      expect(
        check(withKv(lfm2(), { key: "lfm2.attention.head_count_kv", type: "i32[]", value: [0, 2, -1, 2] })),
      ).toBe("MODEL_CORRUPT: layer 2: KV head count -1 does not divide head count 4");
    });

    it("refuses a missing, empty or non-string vocabulary", () => {
      expect(check(withoutKv(lfm2(), "tokenizer.ggml.tokens"))).toBe(
        "MODEL_CORRUPT: missing tokenizer.ggml.tokens",
      );
      expect(check(withKv(lfm2(), { key: "tokenizer.ggml.tokens", type: "string", value: "t0 t1" }))).toBe(
        "MODEL_CORRUPT: missing tokenizer.ggml.tokens",
      );
      expect(check(withKv(lfm2(), { key: "tokenizer.ggml.tokens", type: "string[]", value: [] }))).toBe(
        "MODEL_CORRUPT: tokenizer.ggml.tokens must be a non-empty string array",
      );
      expect(check(withKv(lfm2(), { key: "tokenizer.ggml.tokens", type: "i32[]", value: [1, 2, 3] }))).toBe(
        "MODEL_CORRUPT: tokenizer.ggml.tokens must be a non-empty string array",
      );
    });
  });

  describe("lfm2 tensors", () => {
    it("needs the short-conv cache length only when some layer is a convolution", () => {
      const allAttention = withoutKv(lfm2({ attentionLayers: [0, 1, 2, 3] }), "lfm2.shortconv.l_cache");
      expect(check(allAttention)).toBe("lfm2");
      expect(check(withoutKv(lfm2(), "lfm2.shortconv.l_cache"))).toBe(
        "MODEL_CORRUPT: missing required key 'lfm2.shortconv.l_cache'",
      );
    });

    it("accepts a fused QKV projection in place of separate Q, K and V", () => {
      const spec = withoutTensors(lfm2(), [
        "blk.1.attn_q.weight",
        "blk.1.attn_k.weight",
        "blk.1.attn_v.weight",
      ]);
      spec.tensors.push({ name: "blk.1.attn_qkv.weight", dims: [64, 128], type: 0 });
      expect(check(spec)).toBe("lfm2");
      expect(check(withoutTensors(lfm2(), ["blk.3.attn_k.weight"]))).toBe(
        "MODEL_CORRUPT: missing tensor 'blk.3.attn_k.weight'",
      );
    });

    it("refuses a norm whose rank differs from the one the architecture needs", () => {
      const spec = lfm2();
      const i = spec.tensors.findIndex((t) => t.name === "blk.1.attn_q_norm.weight");
      spec.tensors[i] = { name: "blk.1.attn_q_norm.weight", dims: [16, 1], type: 0 };
      expect(check(spec)).toBe(
        "MODEL_CORRUPT: tensor 'blk.1.attn_q_norm.weight' has shape [16,1], expected [16]",
      );
    });
  });

  describe("llama", () => {
    it("refuses a KV head count of zero", () => {
      expect(
        check(withKv(llamaSpec(), { key: "llama.attention.head_count_kv", type: "u32", value: 0 })),
      ).toBe("MODEL_CORRUPT: llama: KV head count must be positive");
    });

    it("expects expert tensors instead of dense feed-forward ones when it declares experts", () => {
      const moe = withKv(llamaSpec(), { key: "llama.expert_count", type: "u32", value: 4 });
      expect(check(moe)).toBe("MODEL_CORRUPT: missing tensor 'blk.0.ffn_gate_inp.weight'");
      moe.tensors = moe.tensors.filter((t) => !/ffn_(gate|up|down)\.weight$/.test(t.name));
      for (let i = 0; i < 2; i++) {
        moe.tensors.push(
          { name: `blk.${i}.ffn_gate_inp.weight`, dims: [32, 4], type: 0 },
          { name: `blk.${i}.ffn_up_exps.weight`, dims: [32, 64, 4], type: 0 },
          { name: `blk.${i}.ffn_down_exps.weight`, dims: [64, 32, 4], type: 0 },
        );
      }
      expect(check(moe)).toBe("llama");
    });
  });

  it("keeps projectors and models apart when the caller says which it expects", () => {
    const clip: GgufSpec = {
      kvs: [{ key: "general.architecture", type: "string", value: "clip" }],
      tensors: [],
    };
    expect(check(clip, "projector")).toBe("clip");
    expect(check(clip)).toBe("clip");
    expect(check(clip, "model")).toBe(
      "MODEL_UNSUPPORTED: a projector (clip) file cannot be loaded as a model",
    );
    expect(check(llamaSpec(), "projector")).toBe(
      "MODEL_UNSUPPORTED: expected a projector (clip) file, found architecture 'llama'",
    );
    expect(
      check({ kvs: [{ key: "general.architecture", type: "string", value: "gpt5" }], tensors: [] }),
    ).toBe("MODEL_UNSUPPORTED: architecture 'gpt5' is not supported by the bundled llama.cpp");
  });
});
