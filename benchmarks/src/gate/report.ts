import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Verdict } from "./budgets.ts";
import { STREAM_INTERVAL_MS } from "./suites/throughput.ts";
import { barChart } from "./svg.ts";
import type { Measurement, Tier } from "./types.ts";

const fmt = (v: number) =>
  !Number.isFinite(v)
    ? String(v)
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 1
        ? v.toFixed(2)
        : v.toFixed(4);

export function verdictTable(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map((v) => [
    v.pass ? "PASS" : "FAIL",
    v.budget.id,
    v.measurement ? `${fmt(v.measurement.value)} ${v.budget.unit}` : "not measured",
    v.measurement?.model ?? "-",
    `${v.budget.op} ${fmt(v.effectiveLimit)} ${v.budget.unit}`,
    `${v.budget.op} ${fmt(v.budget.limit)} ${v.budget.unit}: ${v.planMet ? "met" : "NOT met"}${
      v.outOfReach
        ? ` (out of reach here: raw node-llama-cpp ${fmt(v.baseline?.value ?? Number.NaN)} ${v.budget.unit})`
        : ""
    }`,
  ]);
  const head = ["result", "budget", "measured", "model", "gate", "plan target"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function measurementTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map((m) => [m.suite, m.id, `${fmt(m.value)} ${m.unit}`, m.what]);
  const head = ["suite", "figure", "value", "what"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const byId = (ms: readonly Measurement[], id: string) => ms.find((m) => m.id === id)?.value;

/** Writes results.json, report.md and the SVG charts; returns the report's path. */
export function writeReport(options: {
  dir: string;
  tier: Tier;
  model: string;
  measurements: readonly Measurement[];
  verdicts: readonly Verdict[];
  startedAt: Date;
  seconds: number;
}): string {
  const { dir, measurements: ms } = options;
  mkdirSync(dir, { recursive: true });
  const charts: Array<{ file: string; svg: string; alt: string }> = [];
  const scaling = [1, 4, 8, 16]
    .map((c) => ({ label: `${c} concurrent`, value: byId(ms, `generation.aggregate.c${c}`) }))
    .filter((b): b is { label: string; value: number } => b.value !== undefined);
  if (scaling.length > 0) {
    charts.push({
      file: "generation-throughput.svg",
      alt: "aggregate tokens/s by concurrency",
      svg: barChart({
        title: `Aggregate generation throughput (${options.model})`,
        unit: "tokens/s",
        bars: scaling,
      }),
    });
  }
  const embed = ["8", "64", "256"].flatMap((t) =>
    ["1client", "10clients"].map((c) => ({
      label: `${t} tok, ${c === "1client" ? "1" : "10"} cl`,
      value: byId(ms, `embedding.p95.${t}tok.${c}`),
    })),
  );
  const embedBars = embed.filter((b): b is { label: string; value: number } => b.value !== undefined);
  if (embedBars.length > 0) {
    charts.push({
      file: "embedding-p95.svg",
      alt: "embedding p95 latency",
      svg: barChart({
        title: `Embedding p95 latency (${options.model})`,
        unit: "ms",
        bars: embedBars,
        reference: { value: 500, label: "budget 500 ms" },
      }),
    });
  }
  const overhead = [
    { label: "in-process", value: byId(ms, "overhead.inprocess.ratio") },
    { label: "runner", value: byId(ms, "overhead.runner.ratio") },
  ].filter((b): b is { label: string; value: number } => b.value !== undefined);
  if (overhead.length > 0) {
    charts.push({
      file: "overhead.svg",
      alt: "Sluice time relative to raw node-llama-cpp",
      svg: barChart({
        title: "Sluice / raw node-llama-cpp (same requests, interleaved)",
        unit: "ratio",
        bars: overhead,
        reference: { value: 1.05, label: "budget 1.05×" },
      }),
    });
  }
  // The throughput suite's ratios against their targets (issue targets in the labels).
  const throughput = [
    { label: "decode / llama-bench (≥0.95)", value: byId(ms, "decode.vs-llama-bench") },
    { label: "streamed decode / llama-bench", value: byId(ms, "decode.stream.vs-llama-bench") },
    {
      label: `streamed in ${STREAM_INTERVAL_MS} ms bursts`,
      value: byId(ms, "decode.stream-bursts.vs-llama-bench"),
    },
    { label: "decode with confidence (≥0.9)", value: byId(ms, "decode.confidence") },
    { label: "decode with 5 logprobs (≥0.9)", value: byId(ms, "decode.logprobs") },
    { label: "auto / best fixed (≥0.95)", value: byId(ms, "threads.auto.idle") },
    { label: "auto contended (≥0.8)", value: byId(ms, "threads.auto.contended") },
    { label: "contended, llama.cpp itself", value: byId(ms, "threads.llama.contended") },
    { label: "8 concurrent (≥2.2)", value: byId(ms, "throughput.scaling.8x") },
    { label: "8 seqs, llama.cpp itself", value: byId(ms, "throughput.llama.scaling.8x") },
    { label: "16 concurrent (≥ the 8)", value: byId(ms, "throughput.scaling.16x") },
    { label: "16 seqs, llama.cpp itself", value: byId(ms, "throughput.llama.scaling.16x") },
    { label: "turn-2 TTFT (≤0.3)", value: byId(ms, "chat.turn2.ttft") },
    { label: "extended prompt TTFT", value: byId(ms, "prompt.extend.ttft") },
  ].filter((b): b is { label: string; value: number } => b.value !== undefined);
  if (throughput.length > 0) {
    charts.push({
      file: "throughput.svg",
      alt: "throughput ratios of the runner path, measured side by side",
      svg: barChart({
        title: "Throughput ratios, runner path (same run, same machine)",
        unit: "ratio",
        bars: throughput,
        reference: { value: 1, label: "1×" },
      }),
    });
  }
  const embedBatch = [
    { label: "one per decode", value: byId(ms, "embeddings.batch.single") },
    { label: "one request", value: byId(ms, "embeddings.batch") },
  ].filter((b): b is { label: string; value: number } => b.value !== undefined);
  if (embedBatch.length > 0) {
    charts.push({
      file: "embeddings-batch.svg",
      alt: "embedding texts/s, one request against one text per decode",
      svg: barChart({
        title: `32 short texts: texts/s (${options.model})`,
        unit: "texts/s",
        bars: embedBatch,
      }),
    });
  }
  for (const c of charts) writeFileSync(join(dir, c.file), c.svg);

  const failed = options.verdicts.filter((v) => v.gated && !v.pass);
  const md = [
    `# Sluice benchmark report — ${options.tier} tier`,
    "",
    `Model: ${options.model}. Started ${options.startedAt.toISOString()}, took ${options.seconds.toFixed(0)} s.`,
    `Result: **${failed.length === 0 ? "PASS" : `FAIL (${failed.map((f) => f.budget.id).join(", ")})`}**`,
    "",
    "## Budgets",
    "",
    "```",
    verdictTable(options.verdicts),
    "```",
    "",
    ...options.verdicts
      .filter((v) => v.budget.gate?.[options.tier] !== undefined || v.outOfReach)
      .map(
        (v) =>
          `- \`${v.budget.id}\` is gated at ${fmt(v.effectiveLimit)} instead of the plan's ${fmt(v.budget.limit)}: ${
            v.outOfReach
              ? `raw node-llama-cpp took ${fmt(v.baseline?.value ?? Number.NaN)} for the same work in this run, so the target is out of this machine's reach now; Sluice is held to ${v.budget.reach?.maxRatio}x raw`
              : (v.budget.why ?? "")
          }`,
      ),
    "",
    "## Charts",
    "",
    ...charts.map((c) => `![${c.alt}](${c.file})`),
    "",
    "## All figures",
    "",
    "```",
    measurementTable(ms),
    "```",
    "",
  ].join("\n");
  const path = join(dir, "report.md");
  writeFileSync(path, md);
  writeFileSync(
    join(dir, "results.json"),
    JSON.stringify(
      {
        tier: options.tier,
        model: options.model,
        startedAt: options.startedAt,
        measurements: ms,
        verdicts: options.verdicts,
      },
      null,
      2,
    ),
  );
  return path;
}
