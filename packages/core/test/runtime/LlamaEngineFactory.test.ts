// The in-process factory's refusals and load options on the real binding:
// each bad option names itself, a load that can not happen says why with a
// typed error, and what it did load is released.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError, ModelNotFoundError, ModelUnsupportedError } from "../../src/errors/index.ts";
import type { EngineLoadOptions } from "../../src/runtime/engine/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { collect } from "./models.ts";

const stories = requireModelFixture("stories260K.gguf");
const BASE = { contextSize: 256, threads: 1, batchSize: 256, sequences: 1, embeddingContexts: 0 } as const;

describe.runIf(stories !== undefined)("LlamaEngineFactory", () => {
  const modelPath = stories as string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-factory-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [{ contextSize: 8 }, "contextSize must be an integer from 16 to 1048576, got 8"],
    [{ sequences: 0 }, "sequences must be an integer from 1 to 256, got 0"],
    [{ sequences: 1.5 }, "sequences must be an integer from 1 to 256, got 1.5"],
    [{ batchSize: 70_000 }, "batchSize must be an integer from 1 to 65536, got 70000"],
    [{ embeddingContexts: 65 }, "embeddingContexts must be an integer from 0 to 64, got 65"],
    [{ kvCacheType: "q5_1" }, "kvCacheType must be f32, f16, q8_0 or q4_0, got q5_1"],
  ])("refuses %o before touching the file", async (bad, message) => {
    const options = { ...BASE, modelPath: join(dir, "absent.gguf"), ...bad } as EngineLoadOptions;
    // The file does not exist either: the option is checked first.
    await expect(new LlamaEngineFactory().load(options)).rejects.toThrow(new RangeError(message));
  });

  it("refuses a load whose signal is already aborted, and a path with no file", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(new LlamaEngineFactory().load({ ...BASE, modelPath }, ac.signal)).rejects.toBeInstanceOf(
      AbortedError,
    );
    const missing = join(dir, "missing.gguf");
    const err = await new LlamaEngineFactory().load({ ...BASE, modelPath: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as ModelNotFoundError).message).toBe(`no model file at ${missing}`);
  });

  it("reports a GPU backend this machine's binding lacks as MODEL_UNSUPPORTED, naming the setting", async () => {
    // No metal prebuilt exists for Linux; build: "never" turns that into a failed start, never a build.
    const err = await new LlamaEngineFactory({ gpu: "metal" })
      .load({ ...BASE, modelPath })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnsupportedError);
    expect((err as ModelUnsupportedError).code).toBe("MODEL_UNSUPPORTED");
    expect((err as ModelUnsupportedError).message).toMatch(
      /^the llama\.cpp binding for gpu metal could not be loaded: /,
    );
    expect((err as ModelUnsupportedError).details).toEqual({ gpu: "metal" });
  });

  it("reports a file llama.cpp refuses as MODEL_UNSUPPORTED, and one aborted while loading as ABORTED", async () => {
    const junk = join(dir, "junk.gguf");
    await writeFile(junk, Buffer.alloc(4096, 0x5a));
    const err = await new LlamaEngineFactory().load({ ...BASE, modelPath: junk }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnsupportedError);
    expect((err as ModelUnsupportedError).message).toBe(`llama.cpp could not load ${junk}`);
    expect((err as ModelUnsupportedError).cause).toBeInstanceOf(Error);

    // Aborted after the synchronous checks: the binding's load gives up and the factory says why.
    const ac = new AbortController();
    const loading = new LlamaEngineFactory().load({ ...BASE, modelPath }, ac.signal);
    ac.abort();
    await expect(loading).rejects.toBeInstanceOf(AbortedError);
  });

  it("loads with an explicit thread count, and refuses threads 0 once the binding is up", async () => {
    await expect(new LlamaEngineFactory().load({ ...BASE, modelPath, threads: 0 })).rejects.toThrow(
      new RangeError("threads must be an integer from 1 to 1024, got 0"),
    );
    const engine = await new LlamaEngineFactory().load({ ...BASE, modelPath, threads: 2 });
    try {
      expect(engine.info.threads).toBe(2);
      expect(engine.info.architecture).toBe("llama");
      const { done } = await collect(
        engine.generate({ prompt: "Once upon a time", maxTokens: 8, temperature: 0 }),
      );
      expect(done.stats.generatedTokens).toBe(8);
    } finally {
      await engine.dispose();
    }
  });

  it("refuses a quantized KV cache for heads that are not whole Q8_0 blocks, naming the head size", async () => {
    // stories260K: 64-wide embeddings over 8 heads.
    const err = await new LlamaEngineFactory()
      .load({ ...BASE, modelPath, kvCacheType: "q8_0" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelUnsupportedError);
    expect((err as ModelUnsupportedError).details).toEqual({
      field: "kvCacheType",
      kvCacheType: "q8_0",
      headSize: 8,
    });
    expect((err as ModelUnsupportedError).message).toContain("multiple of 32");
  });

  it("runs a Q8_0 and a Q4_0 KV cache on the LFM2-350M shape (flash attention on), answering as the f16 cache does", async () => {
    const path = await ensureSynthModel({ preset: "lfm2-350m", type: "q8_0" });
    const params = { prompt: "The quick brown fox", maxTokens: 8, temperature: 0 };
    const texts: Record<string, string> = {};
    for (const kvCacheType of ["f16", "q8_0", "q4_0"] as const) {
      const engine = await new LlamaEngineFactory().load({ ...BASE, modelPath: path, kvCacheType });
      try {
        const { text, done } = await collect(engine.generate(params));
        expect(done.stats.generatedTokens).toBe(8);
        texts[kvCacheType] = text;
      } finally {
        await engine.dispose();
      }
    }
    // Quantized keys and values round; on this prompt the greedy choices stay the f16 cache's.
    expect(texts.q8_0).toBe(texts.f16);
    expect(texts.q4_0).toBe(texts.f16);
  });
});
