import { createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { AsyncContextManager } from "./AsyncContextManager.ts";

const KEY = createContextKey("sluice.test");

describe("AsyncContextManager", () => {
  it("carries a context through awaits inside with(), and back to the root outside", async () => {
    const manager = new AsyncContextManager().enable();
    const ctx = ROOT_CONTEXT.setValue(KEY, "inner");
    const seen = await manager.with(ctx, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return manager.active().getValue(KEY);
    });
    expect(seen).toBe("inner");
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it("binds a function to a context with its this and arguments, and leaves non-functions alone", () => {
    const manager = new AsyncContextManager();
    const ctx = ROOT_CONTEXT.setValue(KEY, "bound");
    const bound = manager.bind(ctx, function (this: { n: number }, add: number) {
      return `${String(manager.active().getValue(KEY))} ${this.n + add}`;
    });
    expect(bound.call({ n: 1 }, 2)).toBe("bound 3");
    const value = { not: "a function" };
    expect(manager.bind(ctx, value)).toBe(value);
  });

  it("forgets the active context once disabled", () => {
    const manager = new AsyncContextManager();
    const ctx = ROOT_CONTEXT.setValue(KEY, "x");
    const [before, after] = manager.with(ctx, () => {
      const seen = manager.active();
      manager.disable();
      return [seen, manager.active()];
    });
    expect(before?.getValue(KEY)).toBe("x");
    expect(after).toBe(ROOT_CONTEXT);
  });
});
