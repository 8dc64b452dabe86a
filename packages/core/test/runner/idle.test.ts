// A runner whose model is idle sleeps. With a binding built with OpenMP and
// OMP_WAIT_POLICY=ACTIVE (Sluice's runner environment once set both), the
// workers kept spinning after the last decode: an idle runner used a whole
// core, 5 CPU-seconds in 5 seconds, for as long as it ran.
import { readFile } from "node:fs/promises";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { describe, expect, it } from "vitest";
import { RunnerEngineFactory } from "../../src/runtime/runner/index.ts";

/** User + system CPU time of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

describe.runIf(process.platform === "linux")("an idle runner", () => {
  it("uses next to no CPU between requests, with every thread the machine has", async () => {
    const engine = await new RunnerEngineFactory().load({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny" }),
      contextSize: 256,
      sequences: 2,
      threads: 2,
      embeddingContexts: 1,
    });
    try {
      for await (const e of engine.generate({ prompt: "The quick brown fox", maxTokens: 32, temperature: 0 }))
        if (e.type === "done") expect(e.stats.generatedTokens).toBeGreaterThan(0);
      await engine.embed(["a cache remembers", "sluice gates open"]);
      const pid = engine.pid as number;
      // Let whatever follows a request (spin-waits, deferred work) settle, then watch for 3 s.
      await new Promise((r) => setTimeout(r, 1000));
      const before = await cpuTicks(pid);
      await new Promise((r) => setTimeout(r, 3000));
      const used = (await cpuTicks(pid)) - before;
      // 100 ticks per second on Linux: a spinning worker would use ~300 of these 3 s; heartbeats
      // and the thread governor's 500 ms reads use a handful.
      expect(used).toBeLessThan(60);
    } finally {
      await engine.dispose();
    }
  });
});
