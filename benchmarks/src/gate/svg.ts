/** A bar chart as standalone SVG: the report must render anywhere without a charting library. */
export interface BarSeries {
  label: string;
  value: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Splits a label into lines of at most `chars` characters at spaces (a word longer than that keeps its line). */
export function wrapLabel(label: string, chars: number): string[] {
  const lines: string[] = [];
  for (const word of label.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= chars)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

export function barChart(options: {
  title: string;
  unit: string;
  bars: readonly BarSeries[];
  /** A horizontal reference line (a budget), drawn dashed. */
  reference?: { value: number; label: string };
}): string {
  const left = 64;
  const right = 16;
  const top = 48;
  // At least 96 px a bar (labels of ~13 characters a line): more bars make a wider chart rather
  // than labels run into each other.
  const width = Math.max(640, left + right + 96 * options.bars.length);
  const plotW = width - left - right;
  const slot = plotW / Math.max(1, options.bars.length);
  const chars = Math.max(6, Math.floor((slot - 8) / 6.5));
  const labelLines = Math.max(1, ...options.bars.map((b) => wrapLabel(b.label, chars).length));
  // Room under the axis for every label's lines.
  const bottom = 32 + 14 * labelLines;
  const height = 256 + bottom;
  const plotH = height - top - bottom;
  const top_ = Math.max(...options.bars.map((b) => b.value), options.reference?.value ?? 0) * 1.12 || 1;
  // Round tick steps (1, 2 or 5 × 10^k) so the axis reads like a person would draw it.
  const rough = top_ / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= rough) ?? rough;
  const ticks = Math.ceil(top_ / step);
  const max = ticks * step;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const barW = Math.min(72, slot * 0.6);
  const fmt = (v: number) =>
    Number.isInteger(v) || v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#111827">${esc(options.title)}</text>`,
  ];
  for (let i = 0; i <= ticks; i++) {
    const v = step * i;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#4b5563">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle" fill="#4b5563">${esc(options.unit)}</text>`,
  );
  // The reference line goes under the bars and their values; a value sitting on it stays
  // readable through its white halo. The line's label goes over everything (after the bars), so
  // a bar above the line never hides it.
  const halo = `paint-order="stroke" stroke="#ffffff" stroke-width="4" stroke-linejoin="round"`;
  const ry = options.reference ? y(options.reference.value) : 0;
  if (options.reference)
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${ry}" y2="${ry}" stroke="#dc2626" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
  options.bars.forEach((bar, i) => {
    const cx = left + slot * i + slot / 2;
    const h = Math.max(0, top + plotH - y(bar.value));
    parts.push(
      `<rect x="${cx - barW / 2}" y="${y(bar.value)}" width="${barW}" height="${h}" fill="#2563eb" rx="2"/>`,
      `<text x="${cx}" y="${y(bar.value) - 6}" text-anchor="middle" fill="#111827" ${halo}>${fmt(bar.value)}</text>`,
      // Wrapped to the bar's slot (about 6.5 px a character at 12 px), so neighbours never overlap.
      `<text x="${cx}" y="${top + plotH + 18}" text-anchor="middle" fill="#374151">${wrapLabel(
        bar.label,
        chars,
      )
        .map((line, j) => `<tspan x="${cx}" dy="${j === 0 ? 0 : 14}">${esc(line)}</tspan>`)
        .join("")}</text>`,
    );
  });
  if (options.reference)
    parts.push(
      `<text x="${width - right - 4}" y="${ry - 6}" text-anchor="end" fill="#dc2626" ${halo}>${esc(options.reference.label)}</text>`,
    );
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#9ca3af"/>`,
    "</svg>",
  );
  return parts.join("\n");
}
