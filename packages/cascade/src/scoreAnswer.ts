import { deflateRawSync } from "node:zlib";
import type { ConfidenceStats } from "@sluice/core";
import type { ConfidenceConfig } from "./config.ts";

/** One score per answer, with the parts it came from (for the decision trace). */
export interface AnswerConfidence {
  /** In [0, 1]; compared with the tier's threshold. */
  score: number;
  /** Geometric-mean probability of the chosen tokens (the engine's score). */
  probability: number;
  /** Absent when the engine reported no statistics. */
  meanLogprob?: number;
  /** Absent when the engine reported no statistics. */
  minProb?: number;
  /** Bytes of the answer over bytes of its deflated form. */
  compressionRatio: number;
  /** Share of the answer's characters inside a loop at its end (see trailingLoopFraction). */
  loopFraction: number;
  /** Factor in [0, 1] applied for repetition; 1 when the answer is not repetitive. */
  repetitionFactor: number;
}

/** Bytes of UTF-8 text over its raw-deflate size; text that repeats itself compresses far better than prose. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length === 0) return 1;
  return bytes.length / deflateRawSync(bytes, { level: 9 }).length;
}

/**
 * Share of the text taken by a loop at its end: the longest suffix that
 * repeats with a period of at most `maxPeriod` characters, at least twice and
 * at least `minChars` long. Unlike a compression ratio it does not need a long
 * text: "kkkkkkkkkkkkkkkk" is a loop however short.
 */
export function trailingLoopFraction(text: string, maxPeriod = 64, minChars = 8): number {
  const n = text.length;
  let best = 0;
  for (let p = 1; p <= Math.min(maxPeriod, Math.floor(n / 2)); p++) {
    let j = n - 1 - p;
    while (j >= 0 && text.charCodeAt(j) === text.charCodeAt(j + p)) j--;
    const loop = n - 1 - j;
    if (loop >= 2 * p && loop >= minChars && loop > best) best = loop;
  }
  return n === 0 ? 0 : best / n;
}

/**
 * Aggregates the engine's per-token probabilities (geometric mean) into one
 * score, multiplied by a repetition factor. Token probabilities alone cannot
 * catch a model that loops on one token with near-certainty (an untrained or
 * broken model does exactly that), so the factor is the smaller of
 * `1 − loopFraction` and, as Whisper checks its output's compression ratio,
 * `(limit / ratio)²` when the ratio exceeds the limit.
 * Without engine statistics the probability part counts as 0, so the answer escalates.
 */
export function scoreAnswer(
  text: string,
  stats: ConfidenceStats | undefined,
  config: ConfidenceConfig,
): AnswerConfidence {
  const probability = stats?.score ?? 0;
  const ratio = compressionRatio(text);
  const loopFraction = trailingLoopFraction(text);
  const compressionFactor = ratio > config.repetitionLimit ? (config.repetitionLimit / ratio) ** 2 : 1;
  const repetitionFactor = config.repetitionPenalty ? Math.min(compressionFactor, 1 - loopFraction) : 1;
  return {
    score: probability * repetitionFactor,
    probability,
    meanLogprob: stats?.meanLogprob,
    minProb: stats?.minProb,
    compressionRatio: ratio,
    loopFraction,
    repetitionFactor,
  };
}
