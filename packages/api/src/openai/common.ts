import type { GenerateStats } from "@sluice/core";
import type { Sluice } from "@sluice/sdk";
import type { ChatCompletionRequest, CompletionRequest, RequestLimits } from "./schemas.ts";

/** A handler's answer: a JSON body, or chunks the transport writes as server-sent events. */
export type OpenAiResult<T> = { kind: "json"; body: T } | { kind: "stream"; chunks: AsyncIterable<T> };

type Stop = ChatCompletionRequest["stop"];

function stops(stop: Stop): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return typeof stop === "string" ? [stop] : stop;
}

/** OpenAI's finish reasons; an aborted generation never reaches a client, so it maps to `stop`. */
export function finishReason(stats: GenerateStats): "stop" | "length" | "tool_calls" {
  return stats.finishReason === "length" || stats.finishReason === "tool_calls" ? stats.finishReason : "stop";
}

export function usage(stats: GenerateStats) {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.generatedTokens,
    total_tokens: stats.promptTokens + stats.generatedTokens,
  };
}

/** Sluice's additions to OpenAI's objects, under one key clients may ignore. */
export function extension(sluice: Sluice, model: string, cached: boolean) {
  const status = sluice.models.list().find((m) => m.id === model);
  const synthetic = status?.synthetic === true;
  return { synthetic, cached, ...(synthetic ? { notice: "synthetic weights: output is noise" } : {}) };
}

/** The server's limits as the request schemas use them. */
export function limitsOf(sluice: Sluice): RequestLimits {
  return { maxTokens: sluice.limits.maxTokens };
}

/** The sampling fields both generation endpoints share, in Sluice's terms. */
export function sampling(r: ChatCompletionRequest | CompletionRequest) {
  const maxTokens = ("max_completion_tokens" in r ? r.max_completion_tokens : undefined) ?? r.max_tokens;
  return {
    model: r.model,
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(r.temperature != null ? { temperature: r.temperature } : {}),
    ...(r.top_p != null ? { topP: r.top_p } : {}),
    ...(r.seed != null ? { seed: r.seed } : {}),
    ...(stops(r.stop) ? { stop: stops(r.stop) } : {}),
    ...(r.frequency_penalty ? { frequencyPenalty: r.frequency_penalty } : {}),
    ...(r.presence_penalty ? { presencePenalty: r.presence_penalty } : {}),
  };
}
