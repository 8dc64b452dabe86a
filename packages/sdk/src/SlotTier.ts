import type { BreakerState, TierAnswer, TierBackend, TierCallOptions, TierHealth } from "@sluice/cascade";
import type { GenerateParams, ModelHost, Scheduler } from "@sluice/core";
import type { ModelSlot } from "./ModelSlot.ts";
import type { Sluice } from "./Sluice.ts";

/**
 * One configured model as a cascade tier: health from the slot and the
 * scheduler, answers through the facade (so queueing, deadlines, caching and
 * telemetry apply to cascade attempts too).
 */
export class SlotTier implements TierBackend {
  readonly id: string;
  readonly #slot: ModelSlot;
  readonly #scheduler: Scheduler;
  readonly #host: ModelHost;
  readonly #sluice: () => Sluice;

  constructor(slot: ModelSlot, scheduler: Scheduler, host: ModelHost, sluice: () => Sluice) {
    this.#host = host;
    this.id = slot.id;
    this.#slot = slot;
    this.#scheduler = scheduler;
    this.#sluice = sluice;
  }

  health(): TierHealth {
    const state = this.#slot.state;
    const stats = this.#scheduler.stats(this.id);
    const concurrency = this.#slot.options.sequences;
    const busy = stats.running >= concurrency;
    return {
      // The host's breaker; a broken model (failed load, corrupt file) is routed around like an open one.
      breaker: state === "broken" ? "open" : breakerOf(this.#host.policy(this.id).state),
      // Unloaded tiers load on first use; only a load in progress or a broken one is not ready.
      ready: state !== "loading" && state !== "broken",
      expectedQueueWaitMs: busy ? ((stats.queued + 1) / concurrency) * stats.serviceMs : 0,
    };
  }

  generate(params: GenerateParams, options: TierCallOptions): Promise<TierAnswer> {
    const call = { signal: options.signal, timeoutMs: Math.max(1, Math.floor(options.deadlineMs)) };
    const { prompt, messages, ...rest } = params;
    const sluice = this.#sluice();
    const answer =
      messages !== undefined
        ? sluice.chat({ ...rest, messages, model: this.id }, call)
        : sluice.complete({ ...rest, prompt: prompt ?? "", model: this.id }, call);
    return answer.then((r) => ({ text: r.text, stats: r.stats }));
  }
}

function breakerOf(state: string): BreakerState {
  return state === "closed" || state === "half-open" ? state : "open";
}
