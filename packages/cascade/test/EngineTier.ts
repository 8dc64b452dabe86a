import type { Engine, GenerateParams } from "@sluice/core";
import { InferenceFailedError } from "@sluice/core";
import type { TierAnswer, TierBackend, TierCallOptions, TierHealth } from "../src/TierBackend.ts";

/** Options of EngineTier. */
export interface EngineTierOptions {
  id: string;
  engine: Engine;
  /** Reports the tier's health. Defaults to a closed breaker, ready, no queue wait. */
  health?: () => TierHealth;
}

const healthy: TierHealth = { breaker: "closed", ready: true, expectedQueueWaitMs: 0 };

/**
 * Test adapter: a loaded Engine as a TierBackend, collecting its token
 * stream. The composition root supplies health from the model host; without
 * it the tier is always considered healthy.
 */
export class EngineTier implements TierBackend {
  readonly id: string;
  readonly #engine: Engine;
  readonly #health: () => TierHealth;

  constructor(options: EngineTierOptions) {
    this.id = options.id;
    this.#engine = options.engine;
    this.#health = options.health ?? (() => ({ ...healthy, ready: !options.engine.disposed }));
  }

  health(): TierHealth {
    return this.#health();
  }

  async generate(params: GenerateParams, options: TierCallOptions): Promise<TierAnswer> {
    for await (const event of this.#engine.generate(params, options.signal)) {
      if (event.type === "done") return { text: event.text, stats: event.stats };
    }
    throw new InferenceFailedError(`tier ${this.id} ended its stream without a result`);
  }
}
