import type { ConfidenceStats } from "../engine/index.ts";

/** Accumulates the probabilities of chosen tokens into ConfidenceStats. */
export class ConfidenceAccumulator {
  #sumLog = 0;
  #count = 0;
  #min = 1;

  add(probability: number): void {
    // A probability of 0 can come back after grammar masking; clamp so the mean stays finite.
    const p = Math.min(1, Math.max(probability, 1e-12));
    this.#sumLog += Math.log(p);
    this.#count++;
    if (p < this.#min) this.#min = p;
  }

  stats(): ConfidenceStats {
    if (this.#count === 0) return { meanLogprob: 0, minProb: 1, score: 1 };
    const meanLogprob = this.#sumLog / this.#count;
    return { meanLogprob, minProb: this.#min, score: Math.exp(meanLogprob) };
  }
}
