import { isSluiceError, type SluiceError } from "@sluice/core";
import { requireModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cascade, type CascadeResponse } from "../src/index.ts";
import { loadRealTiers, type RealTiers } from "./realTiers.ts";

// Greedy, short completions: deterministic answers whose confidences are printed for the report.
const prompt = { prompt: "Once upon a time", maxTokens: 24, temperature: 0 };
// Chosen from measured scores (printed below): the synthetic tiers loop on one token with a token
// probability of 0.9999 but score 0 after the repetition factor (the whole answer is a loop);
// stories260K's TinyStories completion scores 0.82.
const SYNTH_THRESHOLD = 0.5;
const STORIES_THRESHOLD = 0.5;
// Routing tests that expect the first reachable tier to answer: no confidence escalation (the default threshold is 0.5).
const ACCEPT_ANY = 0;

const hasFixture = requireModelFixture("stories260K.gguf") !== undefined;
let tiers: RealTiers;

function report(label: string, res: CascadeResponse): void {
  for (const a of res.trace.attempts)
    console.log(
      `[cascade.real] ${label}: ${a.tier} ${a.outcome} score=${a.confidence?.score.toFixed(4)} ` +
        `p=${a.confidence?.probability.toFixed(4)} minProb=${a.confidence?.minProb?.toFixed(4)} ` +
        `ratio=${a.confidence?.compressionRatio.toFixed(2)} loop=${a.confidence?.loopFraction.toFixed(2)} latency=${a.latencyMs.toFixed(0)}ms`,
    );
  console.log(`[cascade.real] ${label}: final=${res.tier} text=${JSON.stringify(res.text)}`);
}

describe.runIf(hasFixture)("Cascade over real tiny models", () => {
  beforeAll(async () => {
    tiers = (await loadRealTiers()) as RealTiers;
  });
  afterAll(async () => {
    await tiers?.dispose();
  });

  it("routes around tier 1 when its breaker is open and tier 2 answers", async () => {
    const { synth1, synth2, stories } = tiers;
    const cascade = new Cascade({
      config: {
        tiers: [
          { id: synth1.id, threshold: ACCEPT_ANY },
          { id: synth2.id, threshold: ACCEPT_ANY },
          { id: stories.id },
        ],
      },
      backends: [synth1, synth2, stories],
    });
    synth1.state = { ...synth1.state, breaker: "open" };
    try {
      const res = await cascade.generate(prompt);
      report("breaker", res);
      expect(res.tier).toBe("lfm2-synth-2");
      expect(res.text.length).toBeGreaterThan(0);
      expect(res.trace.considered).toEqual([
        {
          tier: "lfm2-synth-1",
          decision: "skipped",
          reason: "breaker-open",
          detail: "tier lfm2-synth-1: circuit breaker open",
        },
        { tier: "lfm2-synth-2", decision: "attempted" },
        { tier: "stories260K", decision: "not-needed" },
      ]);
      expect(res.trace.attempts.map((a) => [a.tier, a.outcome])).toEqual([["lfm2-synth-2", "accepted"]]);
      expect(res.trace).toMatchObject({ finalTier: "lfm2-synth-2", escalations: 0, degraded: false });
    } finally {
      synth1.state = { ...synth1.state, breaker: "closed" };
    }
  });

  it("escalates a random-weight tier's low-confidence answer to stories260K, which is confident", async () => {
    const { synth1, stories } = tiers;
    const cascade = new Cascade({
      config: {
        tiers: [
          { id: synth1.id, threshold: SYNTH_THRESHOLD },
          { id: stories.id, threshold: STORIES_THRESHOLD },
        ],
      },
      backends: [synth1, stories],
    });
    const res = await cascade.generate(prompt);
    report("escalation", res);
    const [first, second] = res.trace.attempts;
    expect(first).toMatchObject({ tier: "lfm2-synth-1", outcome: "low-confidence" });
    expect(first?.confidence?.score).toBeLessThan(SYNTH_THRESHOLD);
    expect(second).toMatchObject({ tier: "stories260K", outcome: "accepted" });
    expect(second?.confidence?.score).toBeGreaterThanOrEqual(STORIES_THRESHOLD);
    expect(res).toMatchObject({ tier: "stories260K", lowConfidence: false, degraded: false });
    expect(res.text).toMatch(/^, there was a little girl/);
    expect(res.trace.escalations).toBe(1);
    expect(res.trace.considered.map((d) => d.decision)).toEqual(["attempted", "attempted"]);
  });

  it("keeps the synthetic answer, flagged degraded, when stories260K is under memory pressure", async () => {
    const { synth1, stories } = tiers;
    const cascade = new Cascade({
      config: { tiers: [{ id: synth1.id, threshold: SYNTH_THRESHOLD }, { id: stories.id }] },
      backends: [synth1, stories],
    });
    stories.state = { ...stories.state, memoryPressure: true };
    try {
      const res = await cascade.generate(prompt);
      expect(res).toMatchObject({ tier: "lfm2-synth-1", degraded: true, lowConfidence: true });
      expect(res.reason).toBe("escalation blocked: tier stories260K: host under memory pressure");
      expect(res.trace.considered[1]).toMatchObject({ decision: "skipped", reason: "memory-pressure" });
    } finally {
      stories.state = { ...stories.state, memoryPressure: false };
    }
  });

  it("assigns A/B arms stickily and routes each arm over its own tiers", async () => {
    const { synth1, synth2, stories } = tiers;
    const cascade = new Cascade({
      config: {
        tiers: [
          { id: synth1.id, threshold: ACCEPT_ANY },
          { id: synth2.id, threshold: ACCEPT_ANY },
          { id: stories.id },
        ],
        experiment: {
          id: "synth-version",
          arms: [
            { id: "v1", weight: 1, tiers: [synth1.id, stories.id] },
            { id: "v2", weight: 1, tiers: [synth2.id, stories.id] },
          ],
        },
      },
      backends: [synth1, synth2, stories],
    });
    const keys = ["alice", "bob", "carol", "dave", "erin", "frank"];
    const arms = keys.map((k) => cascade.experiment?.assign(k).id);
    expect(new Set(arms)).toEqual(new Set(["v1", "v2"]));
    const key = keys[arms.indexOf("v2")] as string;
    const first = await cascade.generate({ ...prompt, maxTokens: 4 }, { key });
    const second = await cascade.generate({ ...prompt, maxTokens: 4 }, { key });
    for (const res of [first, second]) {
      expect(res).toMatchObject({ arm: "v2", tier: "lfm2-synth-2" });
      expect(res.trace.considered[0]).toMatchObject({ tier: "lfm2-synth-1", reason: "not-in-arm" });
    }
    expect(cascade.experiment?.stats().find((s) => s.arm === "v2")?.requests).toBe(2);
  });

  it("rejects with one error listing every tier when all of them fail", async () => {
    const { synth1, synth2, stories } = tiers;
    const cascade = new Cascade({
      config: {
        tiers: [
          { id: synth1.id, threshold: ACCEPT_ANY },
          { id: synth2.id, threshold: ACCEPT_ANY },
          { id: stories.id },
        ],
      },
      backends: [synth1, synth2, stories],
    });
    synth1.state = { ...synth1.state, breaker: "open" };
    synth2.state = { ...synth2.state, ready: false };
    try {
      // stories260K cannot finish 200 tokens within 5 ms: its real generation times out.
      const err = (await cascade.generate({ ...prompt, maxTokens: 200 }, { deadlineMs: 5 }).then(
        () => undefined,
        (e: unknown) => e,
      )) as SluiceError;
      console.log(`[cascade.real] all-fail: ${err.code} ${err.message}`);
      expect(isSluiceError(err)).toBe(true);
      expect(err.code).toBe("TIMEOUT");
      expect(err.details.attempts).toEqual([
        expect.objectContaining({ tier: "lfm2-synth-1", status: "skipped", reason: "breaker-open" }),
        expect.objectContaining({ tier: "lfm2-synth-2", status: "skipped", reason: "not-ready" }),
        expect.objectContaining({ tier: "stories260K", status: "failed", code: "TIMEOUT" }),
      ]);
    } finally {
      synth1.state = { ...synth1.state, breaker: "closed" };
      synth2.state = { ...synth2.state, ready: true };
    }
    // The engines are still usable afterwards: the timed-out generation freed its sequence.
    const res = await cascade.generate({ ...prompt, maxTokens: 4 }, { tier: stories.id });
    expect(res.tier).toBe("stories260K");
  });

  it("falls back through disposed engines and reports each failure when none is left", async () => {
    const { synth2 } = tiers;
    const { LlamaEngineFactory } = await import("@sluice/core");
    const { ensureSynthModel } = await import("@sluice/gguf-synth");
    const { RealTier } = await import("./realTiers.ts");
    const factory = new LlamaEngineFactory();
    const path = await ensureSynthModel({ preset: "lfm2-tiny", seed: 1 });
    const load = () =>
      factory.load({ modelPath: path, contextSize: 512, threads: 2, sequences: 1, embeddingContexts: 0 });
    const a = new RealTier("gone-a", await load());
    const b = new RealTier("gone-b", await load());
    await a.engine.dispose();
    await b.engine.dispose();
    const cascade = new Cascade({
      config: { tiers: [{ id: "gone-a" }, { id: "gone-b" }, { id: synth2.id, threshold: ACCEPT_ANY }] },
      backends: [a, b, synth2],
    });
    const res = await cascade.generate({ ...prompt, maxTokens: 4 });
    expect(res.tier).toBe("lfm2-synth-2");
    expect(res.trace.attempts.map((x) => [x.tier, x.outcome, x.error?.code])).toEqual([
      ["gone-a", "failed", "DISPOSED"],
      ["gone-b", "failed", "DISPOSED"],
      ["lfm2-synth-2", "accepted", undefined],
    ]);
    const onlyGone = new Cascade({
      config: { tiers: [{ id: "gone-a" }, { id: "gone-b" }] },
      backends: [a, b],
    });
    const err = (await onlyGone.generate(prompt).catch((e: unknown) => e)) as SluiceError;
    expect(err.code).toBe("DISPOSED");
    expect((err.details.attempts as { tier: string }[]).map((x) => x.tier)).toEqual(["gone-a", "gone-b"]);
  });
});
