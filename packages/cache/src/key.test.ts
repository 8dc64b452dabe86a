import { describe, expect, it } from "vitest";
import { cacheKey } from "./key.ts";

const base = {
  modelSha256: "a".repeat(64),
  op: "embed",
  input: "hello",
  params: { normalize: true, pooling: "mean" },
};

describe("cacheKey", () => {
  it("changes with the model digest and with parameters, not with their order", () => {
    expect(cacheKey(base)).toBe(cacheKey({ ...base, params: { pooling: "mean", normalize: true } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, modelSha256: "b".repeat(64) }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, params: { normalize: false, pooling: "mean" } }));
  });

  it("changes with the operation and the input", () => {
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, op: "generate" }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, input: "hello!" }));
  });

  it("sorts nested parameter keys and ignores undefined ones", () => {
    const a = cacheKey({ ...base, params: { sampling: { topK: 1, seed: 2 }, stop: undefined } });
    const b = cacheKey({ ...base, params: { sampling: { seed: 2, topK: 1 } } });
    expect(a).toBe(b);
  });

  it("treats canonically equivalent Unicode spellings as one input", () => {
    const composed = "caf\u00e9";
    const decomposed = "cafe\u0301";
    expect(cacheKey({ ...base, input: composed })).toBe(cacheKey({ ...base, input: decomposed }));
  });

  it("does not confuse input text with parameters through separators", () => {
    const a = cacheKey({ ...base, input: 'x","y', params: {} });
    const b = cacheKey({ ...base, input: "x", params: { y: "" } });
    expect(a).not.toBe(b);
  });

  it("is 64 hex digits and ignores the digest's letter case", () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base, modelSha256: "A".repeat(64) })).toBe(cacheKey(base));
  });

  it("rejects a malformed digest, an empty op and non-JSON parameters with RangeError", () => {
    expect(() => cacheKey({ ...base, modelSha256: "abc" })).toThrow(RangeError);
    expect(() => cacheKey({ ...base, op: "" })).toThrow(RangeError);
    expect(() => cacheKey({ ...base, params: { temperature: Number.NaN } })).toThrow(/params.temperature/);
    expect(() => cacheKey({ ...base, params: { n: 1n } })).toThrow(RangeError);
  });
});
