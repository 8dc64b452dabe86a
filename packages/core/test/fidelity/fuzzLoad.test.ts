// The validator's "accept" side against the native loader: corrupted copies of
// a real synthetic LFM2 file that validateGgufBuffer accepts are loaded by
// llama.cpp in a runner process. Whatever llama.cpp makes of them, the host
// (this process) gets an answer or a typed error, never a crash.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, describe, expect, it } from "vitest";
import { isSluiceError } from "../../src/errors/index.ts";
import { validateGgufBuffer } from "../../src/models/index.ts";
import { RunnerEngineFactory } from "../../src/runtime/runner/index.ts";

/** A small deterministic PRNG (mulberry32): the same corruptions every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("fuzzed GGUF files the validator accepts", () => {
  // Five runner starts: a minute on a busy 2-core machine.
  it("are loaded by llama.cpp in a runner: an answer or a typed error, and the host lives on", {
    timeout: 600_000,
  }, async () => {
    const base = await readFile(await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }));
    const dir = await mkdtemp(join(tmpdir(), "sluice-fuzzload-"));
    dirs.push(dir);
    const random = prng(20_261_204);
    const accepted: string[] = [];
    for (let i = 0; i < 400 && accepted.length < 4; i++) {
      const bytes = Buffer.from(base);
      // Half the candidates flip bits in the first 16 kB (metadata), half anywhere (weights too).
      const span = i % 2 === 0 ? Math.min(16_384, bytes.length) : bytes.length;
      for (let k = 0; k < 4; k++) {
        const at = Math.floor(random() * span);
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8));
      }
      try {
        validateGgufBuffer(bytes);
      } catch (err) {
        if (!isSluiceError(err)) throw err;
        continue;
      }
      const path = join(dir, `accepted-${i}.gguf`);
      await writeFile(path, bytes);
      accepted.push(path);
    }
    expect(accepted.length).toBeGreaterThanOrEqual(3);

    const outcomes: string[] = [];
    for (const modelPath of accepted) {
      const factory = new RunnerEngineFactory({ restart: { maxCrashes: 0 }, heartbeatTimeoutMs: 30_000 });
      let outcome: string;
      try {
        const engine = await factory.load({ modelPath, contextSize: 128, sequences: 1, threads: 1 });
        try {
          let tokens = -1;
          for await (const e of engine.generate({ prompt: "hello", maxTokens: 4, temperature: 0 }))
            if (e.type === "done") tokens = e.stats.generatedTokens;
          outcome = `answered ${tokens} tokens`;
        } catch (err) {
          outcome = isSluiceError(err) ? err.code : `untyped generate failure: ${String(err)}`;
        } finally {
          await engine.dispose();
        }
      } catch (err) {
        outcome = isSluiceError(err) ? err.code : `untyped load failure: ${String(err)}`;
      }
      outcomes.push(outcome);
      console.info(`${modelPath}: ${outcome}`);
    }
    console.info(`fuzzed GGUF files accepted by the validator, loaded natively: ${outcomes.join("; ")}`);
    for (const o of outcomes) expect(o).toMatch(/^(answered \d+ tokens|[A-Z_]+)$/);
    // This process is the host: it is still here, and it still serves the intact model.
    const engine = await new RunnerEngineFactory().load({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "q8_0" }),
      contextSize: 128,
      sequences: 1,
      threads: 1,
    });
    try {
      let tokens = 0;
      for await (const e of engine.generate({ prompt: "hello", maxTokens: 4, temperature: 0 }))
        if (e.type === "done") tokens = e.stats.generatedTokens;
      expect(tokens).toBe(4);
    } finally {
      await engine.dispose();
    }
  });
});
