/**
 * ggml tensor types as the bundled llama.cpp (node-llama-cpp 3.21.1, llama.cpp
 * release v0.4.0) defines them in ggml.h / ggml.c: id → block size (elements)
 * and type size (bytes per block). Ids whose support was removed from GGUF
 * files are listed with `removed: true`; llama.cpp rejects them.
 */
export interface GgmlTypeInfo {
  readonly id: number;
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
  readonly removed?: true;
}

const table: readonly GgmlTypeInfo[] = [
  { id: 0, name: "F32", blockSize: 1, typeSize: 4 },
  { id: 1, name: "F16", blockSize: 1, typeSize: 2 },
  { id: 2, name: "Q4_0", blockSize: 32, typeSize: 18 },
  { id: 3, name: "Q4_1", blockSize: 32, typeSize: 20 },
  { id: 4, name: "Q4_2", blockSize: 0, typeSize: 0, removed: true },
  { id: 5, name: "Q4_3", blockSize: 0, typeSize: 0, removed: true },
  { id: 6, name: "Q5_0", blockSize: 32, typeSize: 22 },
  { id: 7, name: "Q5_1", blockSize: 32, typeSize: 24 },
  { id: 8, name: "Q8_0", blockSize: 32, typeSize: 34 },
  { id: 9, name: "Q8_1", blockSize: 32, typeSize: 36 },
  { id: 10, name: "Q2_K", blockSize: 256, typeSize: 84 },
  { id: 11, name: "Q3_K", blockSize: 256, typeSize: 110 },
  { id: 12, name: "Q4_K", blockSize: 256, typeSize: 144 },
  { id: 13, name: "Q5_K", blockSize: 256, typeSize: 176 },
  { id: 14, name: "Q6_K", blockSize: 256, typeSize: 210 },
  { id: 15, name: "Q8_K", blockSize: 256, typeSize: 292 },
  { id: 16, name: "IQ2_XXS", blockSize: 256, typeSize: 66 },
  { id: 17, name: "IQ2_XS", blockSize: 256, typeSize: 74 },
  { id: 18, name: "IQ3_XXS", blockSize: 256, typeSize: 98 },
  { id: 19, name: "IQ1_S", blockSize: 256, typeSize: 50 },
  { id: 20, name: "IQ4_NL", blockSize: 32, typeSize: 18 },
  { id: 21, name: "IQ3_S", blockSize: 256, typeSize: 110 },
  { id: 22, name: "IQ2_S", blockSize: 256, typeSize: 82 },
  { id: 23, name: "IQ4_XS", blockSize: 256, typeSize: 136 },
  { id: 24, name: "I8", blockSize: 1, typeSize: 1 },
  { id: 25, name: "I16", blockSize: 1, typeSize: 2 },
  { id: 26, name: "I32", blockSize: 1, typeSize: 4 },
  { id: 27, name: "I64", blockSize: 1, typeSize: 8 },
  { id: 28, name: "F64", blockSize: 1, typeSize: 8 },
  { id: 29, name: "IQ1_M", blockSize: 256, typeSize: 56 },
  { id: 30, name: "BF16", blockSize: 1, typeSize: 2 },
  { id: 31, name: "Q4_0_4_4", blockSize: 0, typeSize: 0, removed: true },
  { id: 32, name: "Q4_0_4_8", blockSize: 0, typeSize: 0, removed: true },
  { id: 33, name: "Q4_0_8_8", blockSize: 0, typeSize: 0, removed: true },
  { id: 34, name: "TQ1_0", blockSize: 256, typeSize: 54 },
  { id: 35, name: "TQ2_0", blockSize: 256, typeSize: 66 },
  { id: 36, name: "IQ4_NL_4_4", blockSize: 0, typeSize: 0, removed: true },
  { id: 37, name: "IQ4_NL_4_8", blockSize: 0, typeSize: 0, removed: true },
  { id: 38, name: "IQ4_NL_8_8", blockSize: 0, typeSize: 0, removed: true },
  { id: 39, name: "MXFP4", blockSize: 32, typeSize: 17 },
  { id: 40, name: "NVFP4", blockSize: 64, typeSize: 36 },
  { id: 41, name: "Q1_0", blockSize: 128, typeSize: 18 },
  { id: 42, name: "Q2_0", blockSize: 64, typeSize: 18 },
];

/** GGML_TYPE_COUNT of the bundled llama.cpp. */
export const GGML_TYPE_COUNT = 43;

/** Looks up a ggml type by id; undefined for ids the bundled llama.cpp does not know. */
export function ggmlType(id: number): GgmlTypeInfo | undefined {
  return Number.isInteger(id) && id >= 0 && id < table.length ? table[id] : undefined;
}
