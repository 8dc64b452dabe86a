import {
  DisposedError,
  InvalidInputError,
  isSluiceError,
  RunnerCrashedError,
  type SluiceError,
} from "@sluice/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Cascade, type CascadeConfigInput, type CascadeEvent } from "../src/index.ts";
import { ScriptedTier } from "./ScriptedTier.ts";

const config = (over: Partial<CascadeConfigInput> = {}): CascadeConfigInput => ({
  tiers: [
    { id: "small", threshold: 0.5, maxQueueWaitMs: 1000 },
    { id: "medium", threshold: 0.5 },
    { id: "large", threshold: 0.5 },
  ],
  ...over,
});

function setup(over: Partial<CascadeConfigInput> = {}) {
  const small = new ScriptedTier("small", { score: 0.9 });
  const medium = new ScriptedTier("medium", { score: 0.9 });
  const large = new ScriptedTier("large", { score: 0.9 });
  const events: CascadeEvent[] = [];
  const cascade = new Cascade({
    config: config(over),
    backends: [small, medium, large],
    onEvent: (e) => events.push(e),
  });
  return { cascade, small, medium, large, events };
}

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSluiceError(err)) throw new Error(`expected a SluiceError, got ${String(err)}`);
  return err;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Cascade routing", () => {
  it("answers from the cheapest tier when it is confident and asks the engine for confidence", async () => {
    const { cascade, small, medium } = setup();
    const res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("small");
    expect(res.degraded).toBe(false);
    expect(small.calls[0]?.confidence).toBe(true);
    expect(medium.calls).toHaveLength(0);
    expect(res.trace.considered.map((d) => d.decision)).toEqual(["attempted", "not-needed", "not-needed"]);
    expect(res.trace).toMatchObject({
      finalTier: "small",
      escalations: 0,
      attempts: [{ outcome: "accepted" }],
    });
  });

  it("skips a tier whose breaker is open and says so in the trace", async () => {
    const { cascade, small } = setup();
    small.state = { ...small.state, breaker: "open" };
    const res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("medium");
    expect(small.calls).toHaveLength(0);
    expect(res.trace.considered[0]).toMatchObject({ decision: "skipped", reason: "breaker-open" });
  });

  it("lets a half-open breaker through for its trial request", async () => {
    const { cascade, small } = setup();
    small.state = { ...small.state, breaker: "half-open" };
    expect((await cascade.generate({ prompt: "hi" })).tier).toBe("small");
  });

  it("skips tiers that are not ready, over their queue limit or slower than the deadline", async () => {
    const { cascade, small, medium } = setup();
    small.state = { ...small.state, expectedQueueWaitMs: 1500 };
    medium.state = { ...medium.state, ready: false };
    let res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("large");
    expect(res.trace.considered.map((d) => d.reason)).toEqual(["queue-wait", "not-ready", undefined]);
    small.state = { ...small.state, expectedQueueWaitMs: 600 };
    res = await cascade.generate({ prompt: "hi" }, { deadlineMs: 500 });
    expect(res.trace.considered[0]).toMatchObject({ reason: "deadline" });
    expect(res.trace.considered[0]?.detail).toContain("600 ms");
  });

  it("escalates a low-confidence answer and records each attempt's confidence", async () => {
    const { cascade, small, events } = setup();
    small.script = { score: 0.2 };
    const res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("medium");
    expect(res.trace.escalations).toBe(1);
    expect(res.trace.attempts.map((a) => [a.tier, a.outcome, a.confidence?.score])).toEqual([
      ["small", "low-confidence", 0.2],
      ["medium", "accepted", 0.9],
    ]);
    expect(events.find((e) => e.type === "escalate")).toMatchObject({
      from: "small",
      score: 0.2,
      threshold: 0.5,
    });
  });

  it("stops escalating at maxEscalations and returns the best answer flagged low-confidence", async () => {
    const { cascade, small, medium, large } = setup({ maxEscalations: 1 });
    small.script = { score: 0.1 };
    medium.script = { score: 0.3 };
    const res = await cascade.generate({ prompt: "hi" });
    expect(res).toMatchObject({ tier: "medium", lowConfidence: true, degraded: false });
    expect(large.calls).toHaveLength(0);
    expect(res.trace.considered[2]).toMatchObject({ decision: "skipped", reason: "escalation-limit" });
  });

  it("falls back to the next tier on a retryable error", async () => {
    const { cascade, small } = setup();
    small.script = { error: new RunnerCrashedError("runner exited with signal SIGKILL") };
    const res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("medium");
    expect(res.trace.attempts[0]).toMatchObject({ outcome: "failed", error: { code: "RUNNER_CRASHED" } });
  });

  it("with fallback off, fails with the tier's error instead of trying the next tier", async () => {
    const { cascade, small, medium } = setup({ fallback: false });
    small.script = { error: new RunnerCrashedError("runner exited with signal SIGKILL") };
    const err = await rejection(cascade.generate({ prompt: "hi" }));
    expect(err.code).toBe("RUNNER_CRASHED");
    expect(medium.calls).toHaveLength(0);
  });

  it("applies new thresholds to the next request", async () => {
    const { cascade, small, medium } = setup();
    small.script = { score: 0.6 };
    expect((await cascade.generate({ prompt: "hi" })).tier).toBe("small");
    cascade.setThresholds({ small: 0.7 });
    expect((await cascade.generate({ prompt: "hi" })).tier).toBe("medium");
    expect(medium.calls).toHaveLength(1);
    expect(() => cascade.setThresholds({ small: 2 })).toThrow(RangeError);
  });

  it("falls back when a tier's model was disposed, a failure of the tier and not of the request", async () => {
    const { cascade, small } = setup();
    small.script = { error: new DisposedError("model unloaded") };
    expect((await cascade.generate({ prompt: "hi" })).tier).toBe("medium");
  });

  it("does not retry invalid input elsewhere", async () => {
    const { cascade, small, medium } = setup();
    small.script = { error: new InvalidInputError("prompt too long") };
    const err = await rejection(cascade.generate({ prompt: "hi" }));
    expect(err.code).toBe("INVALID_INPUT");
    expect(medium.calls).toHaveLength(0);
  });

  it("rejects with one error listing every tier when all fail", async () => {
    const { cascade, small, medium, large, events } = setup();
    small.state = { ...small.state, breaker: "open" };
    medium.script = { error: new RunnerCrashedError("medium crashed") };
    large.script = { error: new RunnerCrashedError("large crashed") };
    const err = await rejection(cascade.generate({ prompt: "hi" }));
    expect(err.code).toBe("RUNNER_CRASHED");
    expect(err.retryable).toBe(true);
    expect(err.details.attempts).toEqual([
      {
        tier: "small",
        status: "skipped",
        reason: "breaker-open",
        detail: "tier small: circuit breaker open",
      },
      expect.objectContaining({
        tier: "medium",
        status: "failed",
        code: "RUNNER_CRASHED",
        message: "medium crashed",
      }),
      expect.objectContaining({
        tier: "large",
        status: "failed",
        code: "RUNNER_CRASHED",
        message: "large crashed",
      }),
    ]);
    expect(err.message).toContain("small skipped (breaker-open)");
    expect(events.at(-1)?.type).toBe("error");
  });

  it("names the skip reason when no tier could even be tried", async () => {
    const { cascade, small, medium, large } = setup();
    for (const t of [small, medium, large]) t.state = { ...t.state, breaker: "open" };
    const err = await rejection(cascade.generate({ prompt: "hi" }));
    expect(err.code).toBe("CIRCUIT_OPEN");
    expect(err.details.attempts).toHaveLength(3);
  });
});

describe("Cascade degradation and deadlines", () => {
  it("keeps a low-confidence answer, flagged degraded, when escalation is blocked by memory pressure", async () => {
    const { cascade, small, medium, large } = setup();
    small.script = { score: 0.2 };
    medium.state = { ...medium.state, memoryPressure: true };
    large.state = { ...large.state, memoryPressure: true };
    const res = await cascade.generate({ prompt: "hi" });
    expect(res).toMatchObject({ tier: "small", degraded: true, lowConfidence: true });
    expect(res.reason).toContain("memory pressure");
    expect(res.trace.degraded).toBe(true);
  });

  it("serves a smaller tier than the one requested when the requested one is overloaded", async () => {
    const { cascade, medium, large } = setup();
    large.state = { ...large.state, memoryPressure: true };
    const res = await cascade.generate({ prompt: "hi" }, { tier: "large" });
    expect(res).toMatchObject({ tier: "medium", degraded: true });
    expect(res.reason).toBe("tier large unavailable; served by smaller tier medium");
    expect(medium.calls).toHaveLength(1);
    expect(res.trace.considered[1]).toMatchObject({ decision: "attempted", smaller: true });
  });

  it("fails instead of degrading when degradation is off", async () => {
    const { cascade, large } = setup({ degrade: false });
    large.state = { ...large.state, memoryPressure: true };
    const err = await rejection(cascade.generate({ prompt: "hi" }, { tier: "large" }));
    expect(err.code).toBe("OUT_OF_MEMORY_BUDGET");
  });

  it("times out a hanging tier at the request deadline without trying another", async () => {
    vi.useFakeTimers();
    const { cascade, small, medium } = setup();
    small.script = "hang";
    const pending = rejection(cascade.generate({ prompt: "hi" }, { deadlineMs: 2000 }));
    await vi.advanceTimersByTimeAsync(2000);
    const err = await pending;
    expect(err.code).toBe("TIMEOUT");
    expect(medium.calls).toHaveLength(0);
  });

  it("stops at once when the caller aborts", async () => {
    const { cascade, small, medium } = setup();
    small.script = "hang";
    const controller = new AbortController();
    const pending = rejection(cascade.generate({ prompt: "hi" }, { signal: controller.signal }));
    await vi.waitFor(() => expect(small.calls).toHaveLength(1));
    controller.abort();
    const err = await pending;
    expect(err.code).toBe("ABORTED");
    expect(err.retryable).toBe(false);
    expect(medium.calls).toHaveLength(0);
  });

  it("ignores a listener that throws", async () => {
    const small = new ScriptedTier("small", { score: 0.9 });
    const cascade = new Cascade({
      config: { tiers: [{ id: "small" }] },
      backends: [small],
      onEvent: () => {
        throw new Error("telemetry bug");
      },
    });
    expect((await cascade.generate({ prompt: "hi" })).tier).toBe("small");
  });
});

describe("Cascade configuration", () => {
  it("rejects duplicate tiers, no enabled tier and arms naming unknown tiers", () => {
    const backends = [new ScriptedTier("a", { score: 1 })];
    const make = (c: CascadeConfigInput) => () => new Cascade({ config: c, backends });
    expect(make({ tiers: [{ id: "a" }, { id: "a" }] })).toThrow(/duplicate tier a/);
    expect(make({ tiers: [{ id: "a", enabled: false }] })).toThrow(/no tier is enabled/);
    expect(
      make({ tiers: [{ id: "a" }], experiment: { id: "x", arms: [{ id: "b", weight: 1, tiers: ["zz"] }] } }),
    ).toThrow(/unknown tier zz/);
    expect(make({ tiers: [{ id: "a" }, { id: "b" }] })).toThrow(/no backend for tier b/);
  });

  it("never routes to a disabled tier", async () => {
    const a = new ScriptedTier("a", { score: 0.9 });
    const b = new ScriptedTier("b", { score: 0.9 });
    const cascade = new Cascade({
      config: { tiers: [{ id: "a", enabled: false }, { id: "b" }] },
      backends: [a, b],
    });
    const res = await cascade.generate({ prompt: "hi" });
    expect(res.tier).toBe("b");
    expect(res.trace.considered[0]).toMatchObject({ reason: "disabled" });
  });
});
