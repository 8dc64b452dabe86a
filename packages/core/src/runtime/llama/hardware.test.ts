import { describe, expect, it } from "vitest";
import { cpuFeaturesOf } from "./hardware.ts";

describe("cpuFeaturesOf", () => {
  it("keeps enabled instruction sets and drops disabled ones and build options", () => {
    const info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | FMA = 1 | LLAMAFILE = 1 | REPACK = 1 | ";
    expect(cpuFeaturesOf(info)).toEqual(["SSE3", "AVX", "AVX2", "FMA"]);
  });

  it("finds nothing in an empty system info", () => {
    expect(cpuFeaturesOf("")).toEqual([]);
  });
});
