import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isSluiceError } from "../../errors/index.ts";
import { Scheduler } from "./Scheduler.ts";
import type { Slot } from "./Slot.ts";

function codeOf(err: unknown): string | undefined {
  return isSluiceError(err) ? err.code : undefined;
}

describe("Scheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("serves caller B's single request before caller A's 10th when A queued 50 first", async () => {
    const scheduler = new Scheduler({ concurrency: 1, maxQueue: 100 });
    const order: string[] = [];
    const work = (name: string) =>
      scheduler.run(
        "m",
        async () => {
          order.push(name);
          await Promise.resolve();
        },
        { caller: name.split("#")[0] },
      );
    const all = Array.from({ length: 50 }, (_, i) => work(`A#${i + 1}`));
    all.push(work("B#1"));
    await Promise.all(all);
    const b = order.indexOf("B#1");
    const a10 = order.indexOf("A#10");
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(a10);
    expect(order.filter((n) => n.startsWith("A"))).toEqual(
      Array.from({ length: 50 }, (_, i) => `A#${i + 1}`),
    );
  });

  it("dispatches queued interactive requests before queued batch requests", async () => {
    const scheduler = new Scheduler({ concurrency: 1 });
    const first = await scheduler.acquire("m");
    const order: string[] = [];
    const batch = scheduler.acquire("m", { priority: "batch" }).then((s) => {
      order.push("batch");
      return s;
    });
    const interactive = scheduler.acquire("m", { priority: "interactive" }).then((s) => {
      order.push("interactive");
      return s;
    });
    first.release();
    (await interactive).release();
    (await batch).release();
    expect(order).toEqual(["interactive", "batch"]);
  });

  it("never runs more than the concurrency per model", async () => {
    const scheduler = new Scheduler({ concurrency: 3 });
    let running = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        scheduler.run("m", async () => {
          running++;
          max = Math.max(max, running);
          await vi.advanceTimersByTimeAsync(5);
          running--;
        }),
      ),
    );
    expect(max).toBe(3);
  });

  it("fails fast with QUEUE_FULL and a retry-after from the measured service time", async () => {
    const scheduler = new Scheduler({ concurrency: 1, maxQueue: 2, initialServiceMs: 1 });
    for (let i = 0; i < 3; i++) {
      const slot = await scheduler.acquire("m");
      await vi.advanceTimersByTimeAsync(400);
      slot.release();
    }
    const running = await scheduler.acquire("m");
    const queued = [scheduler.acquire("m"), scheduler.acquire("m")];
    const err = await scheduler.acquire("m").catch((e: unknown) => e);
    expect(codeOf(err)).toBe("QUEUE_FULL");
    const retryAfterMs = (err as { details: { retryAfterMs: number } }).details.retryAfterMs;
    // EWMA of three 400 ms services from 1 ms ≈ 195 ms; three requests ahead on one slot.
    expect(retryAfterMs).toBeGreaterThan(500);
    expect(retryAfterMs).toBeLessThan(1200);
    running.release();
    for (const q of queued) (await q).release();
  });

  it("removes a queued request at once when its signal aborts, and the next one takes its place", async () => {
    const scheduler = new Scheduler({ concurrency: 1 });
    const running = await scheduler.acquire("m");
    const controller = new AbortController();
    const cancelled = scheduler.acquire("m", { signal: controller.signal });
    const next = scheduler.acquire("m");
    controller.abort();
    expect(codeOf(await cancelled.catch((e: unknown) => e))).toBe("ABORTED");
    expect(scheduler.stats("m").queued).toBe(1);
    running.release();
    const slot: Slot = await next;
    expect(slot.caller).toBe("anonymous");
    slot.release();
    expect(scheduler.stats("m")).toMatchObject({ queued: 0, running: 0 });
  });

  it("fails a request still queued at its deadline with TIMEOUT", async () => {
    const scheduler = new Scheduler({ concurrency: 1 });
    const running = await scheduler.acquire("m");
    const late = scheduler.acquire("m", { deadlineMs: 1_000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(codeOf(await late)).toBe("TIMEOUT");
    expect(scheduler.stats("m").queued).toBe(0);
    running.release();
  });

  it("aborts a running request's signal with TIMEOUT at its deadline", async () => {
    const scheduler = new Scheduler();
    const slot = await scheduler.acquire("m", { deadlineMs: 50 });
    await vi.advanceTimersByTimeAsync(50);
    expect(slot.signal.aborted).toBe(true);
    expect(codeOf(slot.signal.reason)).toBe("TIMEOUT");
    slot.release();
  });

  it("refuses new work after close, yet lets queued work finish; destroy rejects the rest", async () => {
    const scheduler = new Scheduler({ concurrency: 1 });
    const a = await scheduler.acquire("m");
    const b = scheduler.acquire("m");
    const c = scheduler.acquire("m");
    const closed = scheduler.close();
    expect(codeOf(await scheduler.acquire("m").catch((e: unknown) => e))).toBe("DISPOSED");
    a.release();
    (await b).release();
    scheduler.destroy();
    scheduler.destroy();
    const cSlot = await c;
    expect(codeOf(cSlot.signal.reason)).toBe("DISPOSED");
    cSlot.release();
    await closed;
    expect(scheduler.pending).toBe(0);
  });

  it("rejects invalid options with a RangeError naming the value", () => {
    expect(() => new Scheduler({ concurrency: 0 })).toThrow(/concurrency.*0/);
    expect(() => new Scheduler().acquire("m", { deadlineMs: -5 })).toThrow(/deadlineMs.*-5/);
  });
});
