import { describe, expect, it } from "vitest";
import { cacheKey } from "./key.ts";

describe("cacheKey", () => {
  it("changes with the model digest and with parameters, not with their order", () => {
    const base = {
      modelSha256: "a".repeat(64),
      op: "embed",
      input: "hello",
      params: { normalize: true, pooling: "mean" },
    };
    expect(cacheKey(base)).toBe(cacheKey({ ...base, params: { pooling: "mean", normalize: true } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, modelSha256: "b".repeat(64) }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, params: { normalize: false, pooling: "mean" } }));
  });
});
