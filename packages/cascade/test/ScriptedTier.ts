import type { GenerateParams, GenerateStats, SluiceError } from "@sluice/core";
import type { TierAnswer, TierBackend, TierCallOptions, TierHealth } from "../src/index.ts";

/** What a scripted tier does on each call: answer with a probability score, fail, or hang until aborted. */
export type Script = { text?: string; score: number } | { error: SluiceError } | "hang";

/** A hand-written tier for pure routing tests: health and behaviour are set by the test. */
export class ScriptedTier implements TierBackend {
  readonly id: string;
  state: TierHealth = { breaker: "closed", ready: true, expectedQueueWaitMs: 0 };
  script: Script;
  readonly calls: GenerateParams[] = [];

  constructor(id: string, script: Script) {
    this.id = id;
    this.script = script;
  }

  health(): TierHealth {
    return this.state;
  }

  generate(params: GenerateParams, options: TierCallOptions): Promise<TierAnswer> {
    this.calls.push(params);
    const script = this.script;
    if (script === "hang")
      return new Promise((_, reject) =>
        options.signal.addEventListener("abort", () => reject(options.signal.reason), { once: true }),
      );
    if ("error" in script) return Promise.reject(script.error);
    const score = script.score;
    const stats: GenerateStats = {
      promptTokens: 3,
      generatedTokens: 5,
      timeToFirstTokenMs: 1,
      decodeMs: 1,
      finishReason: "stop",
      confidence: params.confidence ? { meanLogprob: Math.log(score), minProb: score, score } : undefined,
    };
    return Promise.resolve({ text: script.text ?? `answer of ${this.id}`, stats });
  }
}
