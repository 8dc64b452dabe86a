// In-process decoding runs every llama_decode of the process on one thread (the
// patched addon's AddonComputeThread, named "sluice-decode"), not on whichever
// libuv pool thread picks up the work item. Under OpenMP every thread that
// starts a decode leads a team of its own; with more OpenMP threads than CPUs
// libgomp sleeps at barriers instead of spinning, and ggml meets at one after
// every graph node. In-process decoding ran at 30-42 tokens/s against 52-57 on
// one thread, and a thread per context made a runner's batched embeddings 3x
// slower (its generation and embedding contexts led two teams); see
// docs/performance.md. A thread a team starts inherits its leader's name, so
// the names in /proc show who led the decodes: Node's own threads (libuv's
// pool among them) are all named "node".
import { readdirSync, readFileSync } from "node:fs";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, GenerateEvent } from "../../src/runtime/engine/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";

const THREADS = 2;

/** The number of this process's threads by name, from /proc/self/task. */
function threadNames(): Map<string, number> {
  const names = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
    } catch {
      continue; // the thread ended between the listing and the read
    }
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  return names;
}

async function drain(events: AsyncIterable<GenerateEvent>): Promise<number> {
  for await (const e of events) if (e.type === "done") return e.stats.generatedTokens;
  throw new Error("no done event");
}

// Thread names come from /proc, which only Linux has. CI runs on Linux: there a skip is a failure.
const hasProc = process.platform === "linux";
if (!hasProc) {
  if (process.env.CI === "true") throw new Error("decodeThread.test.ts needs /proc (Linux); CI must run it");
  console.warn(`SKIPPED decodeThread.test.ts: thread names need /proc (Linux); this is ${process.platform}`);
}

describe.skipIf(!hasProc)("in-process decode thread", () => {
  let engine: Engine;
  /** Node's threads once the model is loaded (libuv's pool has started: loading used it). */
  let nodeThreads = 0;

  beforeAll(async () => {
    engine = await new LlamaEngineFactory().load({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" }),
      contextSize: 256,
      threads: THREADS,
      batchSize: 256,
      sequences: 1,
      embeddingContexts: 1,
    });
    nodeThreads = threadNames().get("node") ?? 0;
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("leads every decode of the process, generation and embeddings, from one thread, whatever the host's libuv pool", async () => {
    let tokens = 0;
    for (let i = 0; i < 8; i++) {
      tokens += await drain(
        engine.generate({ prompt: `The quick brown fox ${i}`, maxTokens: 16, temperature: 0 }),
      );
      // The embedding context decodes too, between the generation context's decodes.
      expect(await engine.embed([`a cache remembers ${i}`, `sluice gates open ${i}`])).toHaveLength(2);
    }
    expect(tokens).toBeGreaterThan(8);
    const names = threadNames();
    // One leader and, under OpenMP, THREADS - 1 workers it started: one team for both contexts
    // (a thread per context would lead two).
    const decode = names.get("sluice-decode") ?? 0;
    expect(decode).toBeGreaterThanOrEqual(1);
    expect(decode).toBeLessThanOrEqual(THREADS);
    // No libuv pool thread led a team: no thread named after Node's appeared while decoding.
    expect(names.get("node")).toBe(nodeThreads);
  });
});
