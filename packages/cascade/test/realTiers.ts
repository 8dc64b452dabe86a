import { type Engine, LlamaEngineFactory } from "@sluice/core";
import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";
import type { TierHealth } from "../src/index.ts";
import { EngineTier } from "./EngineTier.ts";

/** A real engine behind the port, with health the test can set (as the model host would report it). */
export class RealTier extends EngineTier {
  state: TierHealth = { breaker: "closed", ready: true, expectedQueueWaitMs: 0 };
  readonly engine: Engine;

  constructor(id: string, engine: Engine) {
    super({ id, engine, health: () => this.state });
    this.engine = engine;
  }
}

export interface RealTiers {
  synth1: RealTier;
  synth2: RealTier;
  stories: RealTier;
  dispose(): Promise<void>;
}

/** Two random-weight LFM2 tiers and the trained stories260K, or undefined when the fixture is missing. */
export async function loadRealTiers(): Promise<RealTiers | undefined> {
  const storiesPath = requireModelFixture("stories260K.gguf");
  if (!storiesPath) return undefined;
  const factory = new LlamaEngineFactory();
  const load = (modelPath: string) =>
    factory.load({ modelPath, contextSize: 512, threads: 2, sequences: 1, embeddingContexts: 0 });
  const synth1 = new RealTier(
    "lfm2-synth-1",
    await load(await ensureSynthModel({ preset: "lfm2-tiny", seed: 1 })),
  );
  const synth2 = new RealTier(
    "lfm2-synth-2",
    await load(await ensureSynthModel({ preset: "lfm2-tiny", seed: 2 })),
  );
  const stories = new RealTier("stories260K", await load(storiesPath));
  return {
    synth1,
    synth2,
    stories,
    async dispose() {
      for (const t of [synth1, synth2, stories]) await t.engine.dispose();
    },
  };
}
