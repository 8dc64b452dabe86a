import { RunnerCrashedError, type SluiceError } from "@sluice/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cascade, type DecisionTrace } from "../src/index.ts";
import { type Script, ScriptedTier } from "./ScriptedTier.ts";

const tierArb = fc.record({
  breaker: fc.constantFrom("closed", "open", "half-open" as const),
  ready: fc.boolean(),
  memoryPressure: fc.boolean(),
  wait: fc.integer({ min: 0, max: 3000 }),
  threshold: fc.double({ min: 0, max: 1, noNaN: true }),
  outcome: fc.oneof(
    fc.double({ min: 0, max: 1, noNaN: true }).map((score): Script => ({ score })),
    fc.constant<Script>({ error: new RunnerCrashedError("crashed") }),
  ),
});

describe("Cascade invariants", () => {
  it("never calls an unhealthy tier, stays within the escalation budget and explains every tier", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tierArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 3 }),
        async (specs, maxEscalations) => {
          const tiers = specs.map((s, i) => {
            const t = new ScriptedTier(`t${i}`, s.outcome);
            t.state = {
              breaker: s.breaker,
              ready: s.ready,
              memoryPressure: s.memoryPressure,
              expectedQueueWaitMs: s.wait,
            };
            return t;
          });
          const cascade = new Cascade({
            config: {
              tiers: specs.map((s, i) => ({ id: `t${i}`, threshold: s.threshold, maxQueueWaitMs: 2000 })),
              maxEscalations,
            },
            backends: tiers,
          });
          const healthy = (i: number) => {
            const s = specs[i] as (typeof specs)[number];
            return s.breaker !== "open" && s.ready && !s.memoryPressure && s.wait <= 2000;
          };
          const outcome = await cascade.generate({ prompt: "p" }).then(
            (res) => ({ trace: res.trace, tier: res.tier as string | undefined }),
            (err: SluiceError) => ({ trace: err.details.trace as DecisionTrace, tier: undefined }),
          );
          tiers.forEach((t, i) => {
            if (!healthy(i)) expect(t.calls).toHaveLength(0);
          });
          expect(outcome.trace.escalations).toBeLessThanOrEqual(maxEscalations);
          expect(outcome.trace.considered.map((d) => d.tier)).toEqual(tiers.map((t) => t.id));
          for (const d of outcome.trace.considered)
            if (d.decision === "skipped") expect(d.reason).toBeDefined();
          const attempted = outcome.trace.attempts.map((a) => a.tier);
          expect(attempted).toEqual(tiers.filter((t) => t.calls.length > 0).map((t) => t.id));
          if (outcome.tier !== undefined) expect(attempted).toContain(outcome.tier);
          else
            expect(
              tiers.some((t, i) => healthy(i) && typeof t.script === "object" && "score" in t.script),
            ).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
