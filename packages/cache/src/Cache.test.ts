import { describe, expect, it } from "vitest";
import { createCache } from "./createCache.ts";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("get", () => {
  it("reports one lookup per request with the tier that answered", async () => {
    const cache = createCache();
    const lookups: string[] = [];
    cache.on("lookup", (e) => lookups.push(e.result === "hit" ? `hit:${e.tier}` : "miss"));
    await cache.get("k");
    await cache.set("k", [1, 2]);
    expect(await cache.get("k")).toEqual([1, 2]);
    expect(lookups).toEqual(["miss", "hit:memory"]);
    await cache.close();
  });

  it("rejects a value that is neither a vector nor JSON data on set", async () => {
    const cache = createCache();
    await expect(cache.set("k", undefined as unknown as null)).rejects.toThrow(TypeError);
    await cache.close();
  });
});

describe("getOrCompute", () => {
  it("runs one computation for 100 concurrent identical requests", async () => {
    const cache = createCache();
    const gate = deferred<Float32Array>();
    let computations = 0;
    const requests = Array.from({ length: 100 }, () =>
      cache.getOrCompute("k", () => {
        computations++;
        return gate.promise;
      }),
    );
    gate.resolve(new Float32Array([0.5, 0.25]));
    const results = await Promise.all(requests);
    expect(computations).toBe(1);
    expect(results.every((r) => r[0] === 0.5 && r[1] === 0.25)).toBe(true);
    expect(cache.stats().singleFlight).toMatchObject({ computations: 1, shared: 99, inFlight: 0 });
    // The value is now cached: a later request computes nothing.
    await cache.getOrCompute("k", () => {
      computations++;
      return new Float32Array(1);
    });
    expect(computations).toBe(1);
    await cache.close();
  });

  it("lets one waiter abort while the others still get the result", async () => {
    const cache = createCache();
    const gate = deferred<string>();
    let computeSignal: AbortSignal | undefined;
    const leaving = new AbortController();
    const first = cache.getOrCompute("k", (signal) => {
      computeSignal = signal;
      return gate.promise;
    });
    const second = cache.getOrCompute("k", () => "never", { signal: leaving.signal });
    await Promise.resolve();
    leaving.abort(new Error("client went away"));
    await expect(second).rejects.toThrow("client went away");
    gate.resolve("answer");
    await expect(first).resolves.toBe("answer");
    expect(computeSignal?.aborted).toBe(false);
    await cache.close();
  });

  it("aborts the computation once every waiter has aborted", async () => {
    const cache = createCache();
    const a = new AbortController();
    const b = new AbortController();
    let computeSignal: AbortSignal | undefined;
    const started = deferred<void>();
    const compute = (signal: AbortSignal) => {
      computeSignal = signal;
      started.resolve();
      return new Promise<string>((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason)),
      );
    };
    const first = cache.getOrCompute("k", compute, { signal: a.signal });
    const second = cache.getOrCompute("k", compute, { signal: b.signal });
    await started.promise;
    a.abort();
    expect(computeSignal?.aborted).toBe(false);
    b.abort();
    expect(computeSignal?.aborted).toBe(true);
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toThrow();
    // The next request starts afresh rather than joining the abandoned computation.
    await expect(cache.getOrCompute("k", () => "fresh")).resolves.toBe("fresh");
    await cache.close();
  });

  it("does not cache an error: the next request computes again", async () => {
    const cache = createCache();
    const failing = Array.from({ length: 3 }, () =>
      cache.getOrCompute("k", async () => {
        throw new Error("inference failed");
      }),
    );
    for (const request of failing) await expect(request).rejects.toThrow("inference failed");
    expect(cache.stats().singleFlight.computations).toBe(1);
    await expect(cache.getOrCompute("k", () => "ok")).resolves.toBe("ok");
    expect(await cache.get("k")).toBe("ok");
    await cache.close();
  });

  it("serves but does not store a value the codec cannot hold", async () => {
    const cache = createCache();
    const errors: string[] = [];
    cache.on("error", (e) => errors.push(e.op));
    await expect(cache.getOrCompute("k", () => undefined as unknown as null)).resolves.toBeUndefined();
    expect(errors).toEqual(["encode"]);
    expect(cache.stats().memory?.entries).toBe(0);
    await cache.close();
  });

  it("serves but does not store a value the predicate refuses", async () => {
    const cache = createCache();
    const value = await cache.getOrCompute("k", () => ({ text: "sampled" }), { cacheable: () => false });
    expect(value).toEqual({ text: "sampled" });
    expect(await cache.get("k")).toBeUndefined();
    await cache.close();
  });

  it("rejects at once for a signal that is already aborted, without computing", async () => {
    const cache = createCache();
    let computed = false;
    const signal = AbortSignal.abort(new Error("gone"));
    await expect(
      cache.getOrCompute(
        "k",
        () => {
          computed = true;
          return 1;
        },
        { signal },
      ),
    ).rejects.toThrow("gone");
    expect(computed).toBe(false);
    await cache.close();
  });

  it("after close, misses, skips writes and still computes; close is idempotent", async () => {
    const cache = createCache();
    await cache.set("k", 1);
    const first = cache.close();
    expect(cache.close()).toBe(first);
    await first;
    expect(cache.closed).toBe(true);
    expect(await cache.get("k")).toBeUndefined();
    await cache.set("k", 2);
    await expect(cache.getOrCompute("k", () => 3)).resolves.toBe(3);
  });
});
