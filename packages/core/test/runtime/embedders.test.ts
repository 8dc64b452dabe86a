// Several embedding texts per decode: the batched embedder on Sluice's patched
// node-llama-cpp addon (patches/, built by scripts/setup.sh). Each text's
// vector equals the one node-llama-cpp's own embedding context gives for it
// alone, one decode embeds up to EMBED_BATCH_SEQUENCES texts, and a failed or
// refused call leaves nothing behind in the sequences.
import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchEmbedder,
  createEmbedder,
  EMBED_BATCH_SEQUENCES,
  prepareEmbeddingInput,
  SingleTextEmbedder,
  supportsBatchEmbedding,
} from "../../src/runtime/llama/embedders.ts";
import { type LlamaEngine, LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { batchedEmbeddingFaults } from "../fidelity/reference.ts";

const CONTEXT = 256;
const TEXTS = Array.from(
  { length: EMBED_BATCH_SEQUENCES },
  (_, i) => `text ${i}: the little dog ran ${"far ".repeat(i)}`,
);

const llama: Llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const batched = supportsBatchEmbedding(llama);

describe("the loaded binding", () => {
  it("embeds several texts per decode in CI (setup built the patched addon), and engines use it", async () => {
    // Outside CI a machine without cmake runs on the prebuilt binaries, one text per decode.
    if (process.env.CI === "true") expect(batched).toBe(true);
    else if (!batched)
      console.warn(
        "embedders.test: prebuilt binaries (no patched build): the batched embedder is not tested",
      );
    const engine = await new LlamaEngineFactory().load({
      modelPath: await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" }),
      contextSize: CONTEXT,
      threads: 1,
      sequences: 1,
    });
    try {
      expect((engine as LlamaEngine).embeddingBatchSize).toBe(batched ? EMBED_BATCH_SEQUENCES : 1);
    } finally {
      await engine.dispose();
    }
  });
});

const stories = requireModelFixture("stories260K.gguf");
const models = [
  ...(stories ? [{ name: "stories260K", path: stories }] : []),
  { name: "lfm2-tiny", path: await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" }) },
];

describe.runIf(process.env.CI === "true" || batched).each(models)(
  "batched embeddings on $name",
  ({ path }) => {
    let model: LlamaModel;
    let batch: BatchEmbedder;
    let single: SingleTextEmbedder;
    beforeAll(async () => {
      model = await llama.loadModel({ modelPath: path });
      const embedder = await createEmbedder(llama, model, { contextSize: CONTEXT, threads: 1 });
      expect(embedder).toBeInstanceOf(BatchEmbedder);
      batch = embedder as BatchEmbedder;
      single = await SingleTextEmbedder.create(model, { contextSize: CONTEXT, threads: 1 });
    });
    afterAll(async () => {
      await batch?.dispose();
      await single?.dispose();
      await model?.dispose();
    });

    const inputs = () => TEXTS.map((t) => prepareEmbeddingInput(model, model.tokenize(t)));
    it("embeds eight texts in one decode, each as node-llama-cpp's embedding context does alone up to llama.cpp's batch rounding", async () => {
      const expected = await single.embed(inputs());
      const before = batch.decodes;
      const got = await batch.embed(inputs());
      expect(batch.decodes - before).toBe(1);
      expect(got).toHaveLength(TEXTS.length);
      expect(batchedEmbeddingFaults(got, expected)).toEqual([]);
      // A text alone in the batched context is bit for bit node-llama-cpp's.
      for (const [i, input] of inputs().entries())
        expect((await batch.embed([input]))[0]).toEqual(expected[i]);
    });

    it("keeps each text's vector whatever else shares the decode, in any order", async () => {
      const expected = await single.embed(inputs());
      const reversed = (await batch.embed(inputs().reverse())).reverse();
      expect(batchedEmbeddingFaults(reversed, expected)).toEqual([]);
      const odd = await batch.embed(inputs().filter((_, i) => i % 2 === 1));
      expect(
        batchedEmbeddingFaults(
          odd,
          expected.filter((_, i) => i % 2 === 1),
        ),
      ).toEqual([]);
    });

    it("refuses more texts or tokens than one decode takes, and stays clean after it", async () => {
      const reference = await batch.embed(inputs());
      const nine = [...inputs(), inputs()[0] as number[]];
      await expect(batch.embed(nine as never)).rejects.toThrow(RangeError);
      const long = [Array.from({ length: CONTEXT + 1 }, () => inputs()[0]?.[1] ?? 1)];
      await expect(batch.embed(long as never)).rejects.toThrow(RangeError);
      await expect(batch.embed([[]] as never)).rejects.toThrow(RangeError);
      // The same texts in the same decode: the same vectors, bit for bit.
      expect(await batch.embed(inputs())).toEqual(reference);
    });
  },
);
