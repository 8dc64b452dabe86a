// The "auto" thread governor on the real binding and the real /proc/stat:
// it gives up a thread while other processes keep cores busy, and takes it
// back by itself once they are gone.
import { type ChildProcess, spawn } from "node:child_process";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { acquireThreadGovernor, ThreadGovernor } from "../../src/runtime/llama/threadGovernor.ts";

let llama: Llama;
const busy: ChildProcess[] = [];

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
});
afterEach(() => {
  for (const p of busy.splice(0)) p.kill("SIGKILL");
});
afterAll(() => {
  for (const p of busy.splice(0)) p.kill("SIGKILL");
});

/** A process that keeps one core busy until killed. */
function spin(): ChildProcess {
  const p = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  busy.push(p);
  return p;
}

const WAIT = { timeout: 15_000, interval: 50 };

describe("ThreadGovernor", () => {
  it("gives up a thread while other processes hold cores, and takes it back when they leave", async () => {
    // Threshold 1.5 cores: background noise on a shared machine never trips it; two spinners do.
    const governor = new ThreadGovernor(llama, { maxThreads: 2, periodMs: 100, threshold: 1.5 });
    try {
      expect(governor.threads).toBe(2);
      const seen: number[] = [];
      const probe = setInterval(() => seen.push(governor.threads), 25);
      spin();
      spin();
      await vi.waitFor(() => expect(governor.threads, "the governor gives up a thread").toBe(1), WAIT);
      for (const p of busy.splice(0)) p.kill("SIGKILL");
      await vi.waitFor(() => expect(governor.threads, "the governor takes the thread back").toBe(2), WAIT);
      clearInterval(probe);
      // Never below one thread, never above the cores it was given.
      expect(Math.min(...seen)).toBe(1);
      expect(Math.max(...seen)).toBe(2);
    } finally {
      governor.dispose();
    }
    expect(llama.maxThreads).toBe(2);
  });

  it("is shared by every auto engine of a binding and restores the threads when the last one lets go", () => {
    const before = llama.maxThreads;
    const a = acquireThreadGovernor(llama, 2);
    const b = acquireThreadGovernor(llama, 2);
    expect(llama.maxThreads).toBe(2);
    llama.maxThreads = 1; // as the governor would under load
    a();
    a(); // releasing twice is one release
    expect(llama.maxThreads).toBe(1);
    b();
    expect(llama.maxThreads).toBe(2);
    // A new acquisition starts a new governor.
    const c = acquireThreadGovernor(llama, 1);
    expect(llama.maxThreads).toBe(1);
    c();
    llama.maxThreads = before;
  });
});
