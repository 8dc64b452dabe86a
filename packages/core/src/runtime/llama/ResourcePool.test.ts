import { describe, expect, it } from "vitest";
import { ResourcePool } from "./ResourcePool.ts";

describe("ResourcePool", () => {
  it("hands the released item to the longest waiter", async () => {
    const pool = new ResourcePool(["a"]);
    const first = await pool.acquire();
    const order: number[] = [];
    const w1 = pool.acquire().then((x) => {
      order.push(1);
      return x;
    });
    const w2 = pool.acquire().then((x) => {
      order.push(2);
      return x;
    });
    pool.release(first);
    pool.release(await w1);
    await w2;
    expect(order).toEqual([1, 2]);
    expect(pool.busy).toBe(1);
  });

  it("removes an aborted waiter at once with the signal's reason", async () => {
    const pool = new ResourcePool([1]);
    await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    expect(pool.waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
    expect(pool.waiting).toBe(0);
  });

  it("rejects waiters with DISPOSED on dispose, and dispose is idempotent", async () => {
    const pool = new ResourcePool([1]);
    await pool.acquire();
    const waiting = pool.acquire();
    pool.dispose();
    pool.dispose();
    await expect(waiting).rejects.toMatchObject({ code: "DISPOSED" });
    await expect(pool.acquire()).rejects.toMatchObject({ code: "DISPOSED" });
  });

  it("ignores the release of an item it did not hand out", () => {
    const pool = new ResourcePool(["a"]);
    pool.release("a");
    expect(pool.busy).toBe(0);
    expect(() => new ResourcePool([])).toThrow(RangeError);
  });
});
