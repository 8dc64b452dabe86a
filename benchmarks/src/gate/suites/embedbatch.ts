/**
 * Several embedding texts per decode (Sluice's node-llama-cpp patch, see
 * docs/performance.md): 32 short texts through the SDK in one request,
 * in-process, against the same texts one per decode through node-llama-cpp's
 * own embedding context, which is what the prebuilt binaries run. Both run in
 * this process, so both decode on its one decode thread; a runner on one side
 * would add its IPC to that side only. Same file, same threads, rounds
 * alternating; both must give the same vectors. Every tier: lfm2-tiny on
 * fast, the LFM2-350M shape on full.
 */
import { availableParallelism } from "node:os";
import { supportsBatchEmbedding } from "@sluice/core";
import { createSluice } from "@sluice/sdk";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { median } from "../stats.ts";
import { type Measurement, type Suite, WrongResultError } from "../types.ts";

const TEXTS = Array.from({ length: 32 }, (_, i) => `short text number ${i} about the sea`);

function cosineDistance(a: readonly number[], b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return 1 - dot / Math.sqrt(na * nb);
}

export const embedbatchSuite: Suite = {
  name: "embedbatch",
  async run(ctx) {
    const threads = Math.max(1, Math.min(8, availableParallelism()));
    // Five alternating rounds, and the speedup is the median of each round's own ratio: on lfm2-tiny
    // a request takes ~20-40 ms, and a ratio of two medians taken apart moved with the machine's load
    // (CI read 1.28 where three local runs read 1.53-1.95).
    const rounds = ctx.rounds ?? 5;
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    ctx.log(
      supportsBatchEmbedding(llama)
        ? "embedbatch: patched addon: several texts per decode"
        : "embedbatch: prebuilt binaries: one text per decode (scripts/build-native.mjs builds the patched addon)",
    );
    const sluice = await createSluice({
      runtime: "in-process",
      cache: false,
      models: [
        {
          id: "bench",
          source: ctx.modelPath,
          contextSize: 1024,
          sequences: 1,
          threads,
          embeddingContexts: 1,
          preload: true,
        },
      ],
      limits: { maxQueue: 256, requestTimeoutMs: 0 },
    });
    const model = await llama.loadModel({ modelPath: ctx.modelPath });
    const single = await model.createEmbeddingContext({ contextSize: 1024, batchSize: 1024, threads });
    try {
      await sluice.embed({ model: "bench", texts: TEXTS.slice(0, 2) });
      await single.getEmbeddingFor(TEXTS[0] as string);
      const before: number[] = [];
      const after: number[] = [];
      for (let round = 0; round < rounds; round++) {
        let start = performance.now();
        const { vectors } = await sluice.embed({ model: "bench", texts: TEXTS });
        after.push(TEXTS.length / ((performance.now() - start) / 1000));
        start = performance.now();
        const alone: number[][] = [];
        for (const text of TEXTS) alone.push([...(await single.getEmbeddingFor(text)).vector]);
        before.push(TEXTS.length / ((performance.now() - start) / 1000));
        // Both ways must give each text's vector (up to llama.cpp's batch rounding, see
        // core's fidelity tests), or the speed means nothing.
        const worst = Math.max(...alone.map((v, i) => cosineDistance(v, vectors[i] ?? new Float32Array(0))));
        if (!(worst <= 1e-5))
          throw new WrongResultError(
            `embeddings of one request are ${worst} (cosine distance) from one-per-decode ones`,
          );
      }
      const out: Measurement[] = [
        {
          id: "embeddings.batch",
          suite: "embedbatch",
          what: `texts/s, ${TEXTS.length} short texts in one request (SDK, in-process), median of ${rounds}`,
          value: median(after),
          unit: "texts/s",
        },
        {
          id: "embeddings.batch.single",
          suite: "embedbatch",
          what: "texts/s, the same texts one per decode (node-llama-cpp's embedding context)",
          value: median(before),
          unit: "texts/s",
        },
        {
          id: "embeddings.batch.speedup",
          suite: "embedbatch",
          what: `texts/s in one request / one per decode, median of ${rounds} rounds' ratios`,
          value: median(after.map((a, i) => a / (before[i] as number))),
          unit: "x",
        },
      ];
      for (const m of out) ctx.log(`${m.id} = ${m.value.toFixed(3)} ${m.unit}`);
      return out;
    } finally {
      await sluice.close();
      await single.dispose();
      await model.dispose();
    }
  },
};
