// Cascade evaluation: over 20 prompts (story openings and noise), how often
// each tier answers, how often the cascade escalates, and its mean latency
// against always using the largest tier. Every figure is measured on real
// models: stories260K (trained) and synthetic LFM2 tiers (random weights,
// faithful in cost). Before timing counts, each answer the cascade takes from
// the largest tier is checked equal to that tier's direct greedy answer.
// Run: pnpm --filter @sluice/benchmarks bench:cascade
import { ok, strictEqual } from "node:assert/strict";
import { Cascade, type CascadeResponse, type TierConfig } from "@sluice/cascade";
import { type Engine, LlamaEngineFactory } from "@sluice/core";
import { ensureSynthModel, findModelFixture } from "@sluice/gguf-synth";
// The cascade's logic over bare engines (its test backend): this benchmark measures routing, not serving.
import { EngineTier } from "../../../packages/cascade/test/EngineTier.ts";
import { prompts, storyPrompts } from "./prompts.ts";

const MAX_TOKENS = 16;
const params = (prompt: string) => ({ prompt, maxTokens: MAX_TOKENS, temperature: 0 });

interface TierSpec {
  config: TierConfig;
  path: () => Promise<string>;
}

const storiesPath = async (): Promise<string> => {
  const path = findModelFixture("stories260K.gguf", ["../shared/models", "../../shared/models"]);
  ok(path, "stories260K.gguf not found: set SLUICE_MODEL_DIRS to the folder holding it");
  return path;
};

// Thresholds from the measured scores printed by the cascade's real-model tests:
// stories260K scores ≈ 0.7–0.87 on familiar openings and ≈ 0.3–0.5 on noise; random-weight
// tiers loop on one token and score 0 after the repetition factor.
const STORIES_THRESHOLD = 0.6;
const setups: Record<string, TierSpec[]> = {
  "stories260K → lfm2-350m(synth)": [
    { config: { id: "stories260K", threshold: STORIES_THRESHOLD, enabled: true }, path: storiesPath },
    {
      config: { id: "lfm2-350m", threshold: 0, enabled: true },
      path: () => ensureSynthModel({ preset: "lfm2-350m", seed: 0 }),
    },
  ],
  "lfm2-tiny(synth) → stories260K → lfm2-350m(synth)": [
    {
      config: { id: "lfm2-tiny", threshold: 0.5, enabled: true },
      path: () => ensureSynthModel({ preset: "lfm2-tiny", seed: 1 }),
    },
    { config: { id: "stories260K", threshold: STORIES_THRESHOLD, enabled: true }, path: storiesPath },
    {
      config: { id: "lfm2-350m", threshold: 0, enabled: true },
      path: () => ensureSynthModel({ preset: "lfm2-350m", seed: 0 }),
    },
  ],
};

const factory = new LlamaEngineFactory();
const engines = new Map<string, Engine>();
async function engineFor(spec: TierSpec): Promise<Engine> {
  let engine = engines.get(spec.config.id);
  if (!engine) {
    engine = await factory.load({
      modelPath: await spec.path(),
      contextSize: 512,
      threads: 2,
      sequences: 1,
      embeddingContexts: 0,
    });
    engines.set(spec.config.id, engine);
  }
  return engine;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

async function evaluate(name: string, specs: TierSpec[]): Promise<void> {
  const tiers = await Promise.all(
    specs.map(async (s) => new EngineTier({ id: s.config.id, engine: await engineFor(s) })),
  );
  const cascade = new Cascade({ config: { tiers: specs.map((s) => s.config) }, backends: tiers });
  const largestSpec = specs.at(-1) as TierSpec;
  const largest = new Cascade({
    config: { tiers: [largestSpec.config] },
    backends: [tiers.at(-1) as EngineTier],
  });
  // Warm up every tier once so the first timed request does not pay for page faults.
  for (const tier of tiers)
    await new Cascade({ config: { tiers: [{ id: tier.id }] }, backends: [tier] }).generate(params("Hi"));

  const results: { prompt: string; res: CascadeResponse; cascadeMs: number; largestMs: number }[] = [];
  for (const prompt of prompts) {
    let t = performance.now();
    const res = await cascade.generate(params(prompt));
    const cascadeMs = performance.now() - t;
    t = performance.now();
    const direct = await largest.generate(params(prompt));
    const largestMs = performance.now() - t;
    if (res.tier === largestSpec.config.id)
      strictEqual(res.text, direct.text, `${prompt}: cascade and direct answers differ`);
    results.push({ prompt, res, cascadeMs, largestMs });
    process.stderr.write(`  ${results.length}/${prompts.length} ${res.tier} ${cascadeMs.toFixed(0)} ms\n`);
  }

  console.log(`\n## ${name}  (${prompts.length} prompts, ${MAX_TOKENS} tokens, greedy)`);
  console.log("prompt | kind | answered by | escalations | scores per attempt | cascade ms | largest ms");
  for (const { prompt, res, cascadeMs, largestMs } of results) {
    const kind = (storyPrompts as readonly string[]).includes(prompt) ? "story" : "noise";
    const scores = res.trace.attempts.map((a) => `${a.tier}=${a.confidence?.score.toFixed(3)}`).join(" ");
    console.log(
      `${JSON.stringify(prompt).slice(0, 40)} | ${kind} | ${res.tier} | ${res.trace.escalations} | ${scores} | ` +
        `${cascadeMs.toFixed(0)} | ${largestMs.toFixed(0)}`,
    );
  }
  const share = specs.map((s) => {
    const n = results.filter((r) => r.res.tier === s.config.id).length;
    return `${s.config.id} ${((100 * n) / results.length).toFixed(0)} %`;
  });
  const escalated = results.filter((r) => r.res.trace.escalations > 0).length;
  const cascadeMean = mean(results.map((r) => r.cascadeMs));
  const largestMean = mean(results.map((r) => r.largestMs));
  console.log(`answered per tier: ${share.join(", ")}`);
  console.log(
    `escalation rate: ${((100 * escalated) / results.length).toFixed(0)} % (${escalated}/${results.length})`,
  );
  console.log(
    `mean latency: cascade ${cascadeMean.toFixed(0)} ms vs always ${largestSpec.config.id} ${largestMean.toFixed(0)} ms ` +
      `(ratio ${(cascadeMean / largestMean).toFixed(2)})`,
  );
}

try {
  const only = process.argv.find((a) => a.startsWith("--setup="))?.slice("--setup=".length);
  for (const [name, specs] of Object.entries(setups))
    if (!only || name.startsWith(only)) await evaluate(name, specs);
} finally {
  for (const engine of engines.values()) await engine.dispose();
}
