import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { Engine, EngineFactory, EngineLoadOptions } from "../../src/runtime/engine/index.ts";
import { Runtime } from "../../src/runtime/host/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { TEST_LOAD, testModels } from "./models.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const models = await testModels();

function settle(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

/** Active handles by type; immediates come and go with vitest's own scheduling. */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo())
    if (r !== "Immediate") counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

async function mixed(runtime: Runtime, modelId: string, prompt: string, count: number): Promise<void> {
  const wave = 16;
  for (let done = 0; done < count; done += wave) {
    await Promise.all(
      Array.from({ length: Math.min(wave, count - done) }, (_, i) => {
        const n = done + i;
        if (n % 3 === 2)
          return runtime.embed(modelId, [`${prompt} ${n}`, `text ${n % 7}`], { normalize: true });
        const controller = new AbortController();
        // Every 10th request is aborted after its first token, to cover the abort path too.
        return (async () => {
          for await (const e of runtime.generate(
            modelId,
            {
              prompt: `${prompt} ${n}`,
              maxTokens: 3,
              temperature: n % 2 ? 0 : 0.7,
              seed: n,
              confidence: n % 4 === 0,
            },
            { signal: controller.signal, caller: `c${n % 5}` },
          )) {
            if (n % 10 === 0 && e.type === "token") controller.abort();
          }
        })().catch((err: unknown) => {
          if (!controller.signal.aborted) throw err;
        });
      }),
    );
  }
}

describe.each(models)("leak check on $name", (m) => {
  it("keeps RSS within 5 % over 1,000 mixed requests and returns every sequence and handle", async () => {
    const engines: Engine[] = [];
    const llama = new LlamaEngineFactory();
    const factory: EngineFactory = {
      async load(options: EngineLoadOptions, signal?: AbortSignal) {
        const engine = await llama.load(options, signal);
        engines.push(engine);
        return engine;
      },
    };
    const runtime = new Runtime({
      engineFactory: factory,
      resolve: async () => ({ path: m.path, sha256: "test" }),
      loadOptions: () => ({ ...TEST_LOAD }),
    });
    const baselineHandles = handles();
    // Native allocators and JIT settle after a few hundred requests; measure after that.
    await mixed(runtime, m.name, m.prompt, 1_000);
    const warm = settle();
    await mixed(runtime, m.name, m.prompt, 1_000);
    const after = settle();
    const growth = (after - warm) / warm;
    console.log(
      `${m.name}: RSS after warm-up ${(warm / 2 ** 20).toFixed(1)} MiB, after 1,000 ${(after / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(2)} %)`,
    );
    expect(growth).toBeLessThan(0.05);
    expect(engines).toHaveLength(1);
    expect(engines[0]?.busySequences()).toBe(0);
    expect(runtime.scheduler.pending).toBe(0);
    expect(runtime.host.models()[0]?.references).toBe(0);
    await runtime.close();
    expect(engines[0]?.disposed).toBe(true);
    for (const [type, count] of handles())
      expect(count, type).toBeLessThanOrEqual(baselineHandles.get(type) ?? 0);
  });
});
