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

  it("widen with the number of bars, and keep every label's lines inside the chart", () => {
    const labels = Array.from({ length: 11 }, (_, i) => `bar number ${i} with a long label (≥0.95)`);
    const svg = barChart({
      title: "t",
      unit: "ratio",
      bars: labels.map((label, i) => ({ label, value: i })),
    });
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
    expect(width).toBeGreaterThanOrEqual(64 + 16 + 11 * 96);
    const slot = (width - 64 - 16) / 11;
    const lines = [...svg.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1] ?? "");
    // About 6.5 px a character at 12 px: no line is wider than its bar's slot.
    expect(Math.max(...lines.map((l) => l.length)) * 6.5).toBeLessThanOrEqual(slot);
    // The last line of each label (14 px apart, plus its 12 px of text) sits above the bottom edge.
    const labelTexts = [
      ...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="middle" fill="#374151">(.*?)<\/text>/g),
    ];
    expect(labelTexts).toHaveLength(11);
    for (const [, y, body] of labelTexts) {
      const count = (body ?? "").split("<tspan").length - 1;
      expect(count).toBeGreaterThan(1);
      expect(Number(y) + 14 * (count - 1) + 4).toBeLessThanOrEqual(height);
    }
  });

  it("draw the reference line under the values, each value with a halo that keeps it readable on the line", () => {
    const svg = barChart({
      title: "t",
      unit: "ratio",
      bars: [{ label: "on the line", value: 0.96 }],
      reference: { value: 1, label: "1×" },
    });
    const line = svg.indexOf('stroke-dasharray="6 4"');
    const value = svg.indexOf(">0.96</text>");
    expect(line).toBeGreaterThan(0);
    expect(value).toBeGreaterThan(line);
    expect(svg.slice(svg.lastIndexOf("<text", value), value)).toContain(
      'paint-order="stroke" stroke="#ffffff"',
    );
    // The line's label comes after every bar, so a bar over the line never hides it.
    expect(svg.indexOf(">1×</text>")).toBeGreaterThan(svg.lastIndexOf("<rect"));
  });
});
