import { describe, expect, it } from "vitest";
import { type EvictableModel, type EvictionSource, MemoryBudget } from "../../src/runtime/memory/index.ts";
import type { MemoryReservation } from "../../src/runtime/memory/MemoryReservation.ts";

/** A stand-in for ModelHost: loaded models with reference counts, unloadIdle(1) = LRU idle first. */
class FakeHost implements EvictionSource {
  readonly loaded = new Map<string, EvictableModel & { reservation: MemoryReservation }>();
  readonly unloaded: string[] = [];

  add(reservation: MemoryReservation, lastUsedAt: number, references = 0): void {
    this.loaded.set(reservation.modelId, {
      modelId: reservation.modelId,
      references,
      lastUsedAt,
      reservation,
    });
  }

  models(): EvictableModel[] {
    return [...this.loaded.values()];
  }

  async unloadIdle(max: number): Promise<number> {
    const idle = this.models()
      .filter((m) => m.references === 0)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
      .slice(0, max);
    for (const m of idle) {
      this.loaded.get(m.modelId)?.reservation.release();
      this.loaded.delete(m.modelId);
      this.unloaded.push(m.modelId);
    }
    return idle.length;
  }
}

function setup(budgetBytes: number) {
  const host = new FakeHost();
  const budget = new MemoryBudget({ budgetBytes, evictor: () => host });
  return { host, budget };
}

describe("MemoryBudget", () => {
  it("admits loads while they fit and reports what is reserved and free", async () => {
    const { budget } = setup(100);
    const a = await budget.admit({ modelId: "a", estimateBytes: 40 });
    await budget.admit({ modelId: "b", estimateBytes: 60 });
    expect(budget.freeBytes).toBe(0);
    a.release();
    a.release();
    expect(budget.snapshot()).toMatchObject({ budgetBytes: 100, reservedBytes: 60, freeBytes: 40 });
  });

  it("evicts idle models least recently used first, and only as many as needed", async () => {
    const { host, budget } = setup(100);
    host.add(await budget.admit({ modelId: "old", estimateBytes: 30 }), 1);
    host.add(await budget.admit({ modelId: "older", estimateBytes: 30 }), 0);
    host.add(await budget.admit({ modelId: "recent", estimateBytes: 30 }), 2);
    await budget.admit({ modelId: "new", estimateBytes: 60 });
    expect(host.unloaded).toEqual(["older", "old"]);
    expect(
      budget
        .snapshot()
        .models.map((m) => m.modelId)
        .sort(),
    ).toEqual(["new", "recent"]);
  });

  it("refuses with OUT_OF_MEMORY_BUDGET carrying the estimate and what is free when busy models hold the memory", async () => {
    const { host, budget } = setup(100);
    host.add(await budget.admit({ modelId: "busy", estimateBytes: 70 }), 0, 1);
    host.add(await budget.admit({ modelId: "idle", estimateBytes: 20 }), 1);
    const refused = budget.admit({ modelId: "new", estimateBytes: 40 });
    await expect(refused).rejects.toMatchObject({
      code: "OUT_OF_MEMORY_BUDGET",
      retryable: true,
      details: { modelId: "new", estimateBytes: 40, freeBytes: 10, budgetBytes: 100 },
    });
    // Evicting the idle model would not have been enough, so it stays loaded.
    expect(host.unloaded).toEqual([]);
  });

  it("refuses a load larger than the whole budget as not retryable", async () => {
    const { budget } = setup(100);
    await expect(budget.admit({ modelId: "huge", estimateBytes: 101 })).rejects.toMatchObject({
      code: "OUT_OF_MEMORY_BUDGET",
      retryable: false,
    });
  });

  it("admits concurrent loads one at a time so they never share the same free bytes", async () => {
    const { budget } = setup(100);
    const results = await Promise.allSettled([
      budget.admit({ modelId: "a", estimateBytes: 60 }),
      budget.admit({ modelId: "b", estimateBytes: 60 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(budget.reservedBytes).toBe(60);
  });

  it("takes a share of free RAM for an auto budget", () => {
    const budget = new MemoryBudget({ budgetBytes: "auto", autoShare: 0.5, totalMemory: () => 1000 });
    expect(budget.budgetBytes).toBe(500);
  });

  it("records measured RSS next to the estimate, by model id or file path", async () => {
    const { budget } = setup(100);
    await budget.admit({ modelId: "a", modelPath: "/models/a.gguf", estimateBytes: 50 });
    budget.observeRss("/models/a.gguf", 45);
    expect(budget.snapshot().models).toEqual([
      { modelId: "a", modelPath: "/models/a.gguf", estimateBytes: 50, rssBytes: 45 },
    ]);
  });

  it("rejects invalid options with RangeError", async () => {
    expect(() => new MemoryBudget({ budgetBytes: -1 })).toThrow(RangeError);
    expect(() => new MemoryBudget({ autoShare: 1.5 })).toThrow(RangeError);
    await expect(
      new MemoryBudget({ budgetBytes: 10 }).admit({ modelId: "a", estimateBytes: Number.NaN }),
    ).rejects.toThrow(RangeError);
  });
});
