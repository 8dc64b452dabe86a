import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError, RunnerCrashedError } from "../errors/index.ts";
import { ModelPolicy, withTimeout } from "./ModelPolicy.ts";

describe("ModelPolicy", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("opens after 3 consecutive failures and then answers CIRCUIT_OPEN without calling the function", async () => {
    const policy = new ModelPolicy("m", { breakerThreshold: 3, retries: 0 });
    const fn = vi.fn(() => Promise.reject(new Error("native load failed")));
    for (let i = 0; i < 3; i++)
      await expect(policy.execute(fn)).rejects.toMatchObject({ code: "INFERENCE_FAILED" });
    expect(policy.state).toBe("open");
    await expect(policy.execute(fn)).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("does not count invalid input against the breaker", async () => {
    const policy = new ModelPolicy("m", { breakerThreshold: 1, retries: 0 });
    await expect(policy.execute(() => Promise.reject(new InvalidInputError("bad")))).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    expect(policy.state).toBe("closed");
  });

  it("retries a retryable error once, then succeeds", async () => {
    const policy = new ModelPolicy("m", { retries: 1, retryBaseDelayMs: 10 });
    let calls = 0;
    const result = policy.execute(async () => {
      calls++;
      if (calls === 1) throw new RunnerCrashedError("crashed");
      return "ok";
    });
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toBe("ok");
    expect(calls).toBe(2);
  });

  it("never retries a non-retryable error", async () => {
    const policy = new ModelPolicy("m", { retries: 3 });
    const fn = vi.fn(() => Promise.reject(new InvalidInputError("bad")));
    await expect(policy.execute(fn)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("half-opens after the configured time and closes on a successful probe", async () => {
    const policy = new ModelPolicy("m", { breakerThreshold: 2, halfOpenAfterMs: 5_000, retries: 0 });
    const states: string[] = [];
    policy.onStateChange((s) => states.push(s));
    for (let i = 0; i < 2; i++)
      await policy.execute(() => Promise.reject(new Error("x"))).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(4_999);
    await expect(policy.execute(async () => "early")).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
    await vi.advanceTimersByTimeAsync(1);
    await expect(policy.execute(async () => "probe")).resolves.toBe("probe");
    expect(policy.state).toBe("closed");
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("counts one runner crash seen by four requests as one failure, wrapped or not", async () => {
    const policy = new ModelPolicy("m", { breakerThreshold: 2, retries: 0 });
    const crash = new RunnerCrashedError("runner killed by SIGKILL");
    const wrapped = new RunnerCrashedError(crash.message, { cause: crash, retryable: false });
    for (const err of [crash, crash, wrapped, crash])
      await expect(policy.execute(() => Promise.reject(err))).rejects.toMatchObject({
        code: "RUNNER_CRASHED",
      });
    expect(policy.state).toBe("closed");
    await policy
      .execute(() => Promise.reject(new RunnerCrashedError("a second crash")))
      .catch(() => undefined);
    expect(policy.state).toBe("open");
  });

  it("lets the next call through as the half-open trial at once after allowTrial()", async () => {
    const policy = new ModelPolicy("m", { breakerThreshold: 1, halfOpenAfterMs: 30_000, retries: 0 });
    await policy.execute(() => Promise.reject(new Error("x"))).catch(() => undefined);
    const refused = await policy.execute(async () => "early").catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "CIRCUIT_OPEN", details: { retryAfterMs: 30_000 } });
    policy.allowTrial();
    await expect(policy.execute(async () => "trial")).resolves.toBe("trial");
    expect(policy.state).toBe("closed");
    // The allowance was for that recovery only: the next opening waits the full time again.
    await policy.execute(() => Promise.reject(new Error("y"))).catch(() => undefined);
    await expect(policy.execute(async () => "again")).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
  });

  it("rejects invalid options with a RangeError naming the value", () => {
    expect(() => new ModelPolicy("m", { breakerThreshold: 0 })).toThrow(/breakerThreshold.*0/);
  });
});

describe("withTimeout", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rejects with TIMEOUT when the work outlives the limit and aborts its signal", async () => {
    let inner: AbortSignal | undefined;
    const p = withTimeout(100, (signal) => {
      inner = signal;
      return new Promise(() => undefined);
    });
    const check = expect(p).rejects.toMatchObject({ code: "TIMEOUT" });
    await vi.advanceTimersByTimeAsync(100);
    await check;
    expect(inner?.aborted).toBe(true);
  });

  it("rejects with ABORTED when the caller's signal fires first", async () => {
    const controller = new AbortController();
    const p = withTimeout(1_000, () => new Promise(() => undefined), controller.signal);
    const check = expect(p).rejects.toMatchObject({ code: "ABORTED" });
    controller.abort();
    await check;
  });
});
