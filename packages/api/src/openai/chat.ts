import { randomUUID } from "node:crypto";
import {
  type ChatContentPart,
  type ChatMessage,
  decodeImageDataUrl,
  type GenerateStats,
  imagePart,
} from "@sluice/core";
import type { CallOptions, ChatRequest, GenerateRequest, Sluice, SluiceGenerateEvent } from "@sluice/sdk";
import { parseInput } from "../zodError.ts";
import { primeStream } from "./primeStream.ts";
import {
  type ChatCompletionRequest,
  type CompletionRequest,
  chatCompletionRequest,
  completionRequest,
} from "./schemas.ts";

/** A handler's answer: a JSON body, or chunks the transport writes as server-sent events. */
export type OpenAiResult<T> = { kind: "json"; body: T } | { kind: "stream"; chunks: AsyncIterable<T> };

type Stop = ChatCompletionRequest["stop"];

function stops(stop: Stop): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return typeof stop === "string" ? [stop] : stop;
}

function finishReason(stats: GenerateStats): "stop" | "length" {
  return stats.finishReason === "length" ? "length" : "stop";
}

function usage(stats: GenerateStats) {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.generatedTokens,
    total_tokens: stats.promptTokens + stats.generatedTokens,
  };
}

/** Sluice's additions to OpenAI's objects, under one key clients may ignore. */
function extension(sluice: Sluice, model: string, cached: boolean) {
  const status = sluice.models.list().find((m) => m.id === model);
  const synthetic = status?.synthetic === true;
  return { synthetic, cached, ...(synthetic ? { notice: "synthetic weights: output is noise" } : {}) };
}

function sampling(r: ChatCompletionRequest | CompletionRequest) {
  const maxTokens = ("max_completion_tokens" in r ? r.max_completion_tokens : undefined) ?? r.max_tokens;
  return {
    model: r.model,
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(r.temperature != null ? { temperature: r.temperature } : {}),
    ...(r.top_p != null ? { topP: r.top_p } : {}),
    ...(r.seed != null ? { seed: r.seed } : {}),
    ...(stops(r.stop) ? { stop: stops(r.stop) } : {}),
  };
}

function chatMessages(r: ChatCompletionRequest): ChatMessage[] {
  return r.messages.map((m, i) => {
    const role = m.role === "developer" ? "system" : m.role;
    if (typeof m.content === "string") return { role, content: m.content };
    // Text-only parts collapse to a string, so text models see what they always saw.
    if (m.content.every((p) => p.type === "text"))
      return { role, content: m.content.map((p) => p.text).join("") };
    const parts: ChatContentPart[] = m.content.map((p, j) =>
      p.type === "text"
        ? { type: "text", text: p.text }
        : imagePart(
            decodeImageDataUrl(p.image_url.url, { field: `messages[${i}].content[${j}].image_url.url` }),
          ),
    );
    return { role, content: parts };
  });
}

function jsonSchemaOf(r: ChatCompletionRequest): Record<string, unknown> | undefined {
  const f = r.response_format;
  if (f?.type === "json_schema") return f.json_schema.schema;
  if (f?.type === "json_object") return { type: "object" };
  return undefined;
}

/** `POST /v1/chat/completions`: OpenAI's chat completion, streamed (SSE chunks) or not. */
export async function chatCompletions(
  sluice: Sluice,
  body: unknown,
  options: CallOptions,
): Promise<OpenAiResult<Record<string, unknown>>> {
  const r = parseInput(chatCompletionRequest, body);
  const jsonSchema = jsonSchemaOf(r);
  const request: ChatRequest = {
    ...sampling(r),
    messages: chatMessages(r),
    ...(jsonSchema ? { jsonSchema } : {}),
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (!r.stream) {
    const result = await sluice.chat(request, options);
    return {
      kind: "json",
      body: {
        id,
        object: "chat.completion",
        created,
        model: result.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: result.text, refusal: null },
            logprobs: null,
            finish_reason: finishReason(result.stats),
          },
        ],
        usage: usage(result.stats),
        system_fingerprint: null,
        sluice: extension(sluice, result.model, result.cached),
      },
    };
  }
  const events = await primeStream(sluice.chatStream(request, options));
  const includeUsage = r.stream_options?.include_usage === true;
  return { kind: "stream", chunks: chatChunks(sluice, events, { id, created, includeUsage }) };
}

async function* chatChunks(
  sluice: Sluice,
  events: AsyncIterable<SluiceGenerateEvent>,
  meta: { id: string; created: number; includeUsage: boolean },
): AsyncGenerator<Record<string, unknown>> {
  let first = true;
  for await (const event of events) {
    const base = { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: event.model };
    if (first) {
      first = false;
      yield {
        ...base,
        choices: [
          { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
        ],
        sluice: extension(sluice, event.model, event.cached === true),
      };
    }
    if (event.type === "token") {
      yield {
        ...base,
        choices: [{ index: 0, delta: { content: event.text }, logprobs: null, finish_reason: null }],
      };
      continue;
    }
    yield {
      ...base,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(event.stats) }],
    };
    if (meta.includeUsage) yield { ...base, choices: [], usage: usage(event.stats) };
  }
}

/** `POST /v1/completions`: OpenAI's legacy text completion, streamed or not. */
export async function completions(
  sluice: Sluice,
  body: unknown,
  options: CallOptions,
): Promise<OpenAiResult<Record<string, unknown>>> {
  const r = parseInput(completionRequest, body);
  const prompt = typeof r.prompt === "string" ? r.prompt : (r.prompt[0] as string);
  const request: GenerateRequest = { ...sampling(r), prompt };
  const id = `cmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const echo = r.echo === true ? prompt : "";
  if (!r.stream) {
    const result = await sluice.complete(request, options);
    return {
      kind: "json",
      body: {
        id,
        object: "text_completion",
        created,
        model: result.model,
        choices: [
          { index: 0, text: echo + result.text, logprobs: null, finish_reason: finishReason(result.stats) },
        ],
        usage: usage(result.stats),
        sluice: extension(sluice, result.model, result.cached),
      },
    };
  }
  const events = await primeStream(sluice.generate(request, options));
  return {
    kind: "stream",
    chunks: completionChunks(events, {
      id,
      created,
      echo,
      includeUsage: r.stream_options?.include_usage === true,
    }),
  };
}

async function* completionChunks(
  events: AsyncIterable<SluiceGenerateEvent>,
  meta: { id: string; created: number; echo: string; includeUsage: boolean },
): AsyncGenerator<Record<string, unknown>> {
  let pendingEcho = meta.echo;
  for await (const event of events) {
    const base = { id: meta.id, object: "text_completion", created: meta.created, model: event.model };
    if (event.type === "token") {
      yield {
        ...base,
        choices: [{ index: 0, text: pendingEcho + event.text, logprobs: null, finish_reason: null }],
      };
      pendingEcho = "";
      continue;
    }
    yield {
      ...base,
      choices: [{ index: 0, text: pendingEcho, logprobs: null, finish_reason: finishReason(event.stats) }],
    };
    if (meta.includeUsage) yield { ...base, choices: [], usage: usage(event.stats) };
  }
}
