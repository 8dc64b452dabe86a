import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenBatcher } from "./TokenBatcher.ts";

describe("TokenBatcher", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the first piece at once and joins pieces that arrive within the window", () => {
    const sent: string[] = [];
    const b = new TokenBatcher((t) => sent.push(t), 2);
    b.push("a");
    b.push("b");
    b.push("c");
    expect(sent).toEqual(["a"]);
    vi.advanceTimersByTime(2);
    expect(sent).toEqual(["a", "bc"]);
  });

  it("sends pieces that arrive slower than the window without delay", () => {
    const sent: string[] = [];
    const b = new TokenBatcher((t) => sent.push(t), 2);
    b.push("a");
    vi.advanceTimersByTime(5);
    b.push("b");
    expect(sent).toEqual(["a", "b"]);
  });

  it("flushes pending text in order and discards it on cancel", () => {
    const sent: string[] = [];
    const b = new TokenBatcher((t) => sent.push(t), 2);
    b.push("a");
    b.push("b");
    b.flush();
    expect(sent).toEqual(["a", "b"]);
    b.push("c");
    b.discard();
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(["a", "b"]);
  });
});
