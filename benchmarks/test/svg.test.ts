import { describe, expect, it } from "vitest";
import { barChart, wrapLabel } from "../src/gate/svg.ts";

describe("bar chart labels", () => {
  it("wrap at spaces to the given width, keeping every word", () => {
    expect(wrapLabel("decode / llama-bench (≥0.95)", 14)).toEqual(["decode /", "llama-bench", "(≥0.95)"]);
    expect(wrapLabel("short", 14)).toEqual(["short"]);
    expect(wrapLabel("averyveryverylongword x", 5)).toEqual(["averyveryverylongword", "x"]);
  });

  it("give six bars' labels lines short enough for their slots", () => {
    const labels = ["decode / llama-bench (≥0.95)", "auto / best fixed (≥0.95)", "auto contended (≥0.8)"];
    const svg = barChart({
      title: "t",
      unit: "ratio",
      bars: [...labels, "8 concurrent (≥2.2)", "16 concurrent (≥ the 8)", "turn-2 TTFT (≤0.3)"].map(
        (label, i) => ({ label, value: i + 1 }),
      ),
    });
    const lines = [...svg.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1] ?? "");
    // 560 px of plot for six bars: about 14 characters a line.
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(14);
    expect(lines.join(" ")).toContain("llama-bench");
  });
});
