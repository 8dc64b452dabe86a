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
  /** Factor in (0, 1] applied for repetition; 1 when the answer is not repetitive. */
  repetitionFactor: number;
}

/** Bytes of UTF-8 text over its raw-deflate size; loops of the same few tokens compress far better than prose. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length === 0) return 1;
  return bytes.length / deflateRawSync(bytes, { level: 9 }).length;
}

/**
 * Aggregates the engine's per-token probabilities (geometric mean) into one
 * score, multiplied by a repetition factor. Token probabilities alone cannot
 * catch a model that loops on one token with near-certainty (an untrained or
 * broken model does exactly that), so, as Whisper does with its compression
 * ratio check, an answer whose compression ratio exceeds the limit is scored
 * down by (limit / ratio)².
 * Without engine statistics the probability part counts as 0, so the answer escalates.
 */
export function scoreAnswer(
  text: string,
  stats: ConfidenceStats | undefined,
  config: ConfidenceConfig,
): AnswerConfidence {
  const probability = stats?.score ?? 0;
  const ratio = compressionRatio(text);
  const repetitionFactor =
    config.repetitionPenalty && ratio > config.repetitionLimit ? (config.repetitionLimit / ratio) ** 2 : 1;
  return {
    score: probability * repetitionFactor,
    probability,
    meanLogprob: stats?.meanLogprob,
    minProb: stats?.minProb,
    compressionRatio: ratio,
    repetitionFactor,
  };
}
