import { describe, expect, it } from "vitest";
import { autoThreads } from "./LlamaEngineFactory.ts";
import { threadsForLoad } from "./threadGovernor.ts";

describe("threads auto", () => {
  it("starts with every physical core, capped", () => {
    expect(autoThreads(2)).toBe(2);
    expect(autoThreads(1)).toBe(1);
    expect(autoThreads(32, 8)).toBe(8);
  });

  it("gives up one thread per core other processes keep busy, never below 1", () => {
    expect(threadsForLoad(2, 0)).toBe(2);
    expect(threadsForLoad(2, 0.4)).toBe(2);
    expect(threadsForLoad(2, 0.7)).toBe(1);
    expect(threadsForLoad(2, 1)).toBe(1);
    expect(threadsForLoad(2, 5)).toBe(1);
    expect(threadsForLoad(8, 2.6)).toBe(5);
    expect(threadsForLoad(8, -0.2)).toBe(8);
  });
});
