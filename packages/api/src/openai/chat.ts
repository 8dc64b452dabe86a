import { randomUUID } from "node:crypto";
import {
  type ChatContentPart,
  type ChatMessage,
  decodeImageDataUrl,
  InvalidInputError,
  imagePart,
} from "@sluice/core";
import type { CallOptions, ChatRequest, Sluice, SluiceGenerateEvent } from "@sluice/sdk";
import { parseInput } from "../zodError.ts";
import { extension, finishReason, limitsOf, type OpenAiResult, sampling, usage } from "./common.ts";
import { checkJsonSchema } from "./jsonSchemaCheck.ts";
import { chatLogprobs } from "./logprobs.ts";
import { primeStream } from "./primeStream.ts";
import { refuseUnsupported } from "./refusals.ts";
import { type ChatCompletionRequest, chatCompletionRequest } from "./schemas.ts";
import { historyCalls, openAiToolCalls, toolsOf } from "./tools.ts";

export type { OpenAiResult } from "./common.ts";
export { completions } from "./completions.ts";

type Content = ChatCompletionRequest["messages"][number]["content"];

function contentOf(content: Content, i: number): string | ChatContentPart[] {
  if (content == null) return "";
  if (typeof content === "string") return content;
  // Text-only parts collapse to a string, so text models see what they always saw.
  if (content.every((p) => p.type === "text")) return content.map((p) => p.text).join("");
  return content.map((p, j) =>
    p.type === "text"
      ? { type: "text", text: p.text }
      : imagePart(
          decodeImageDataUrl(p.image_url.url, { field: `messages[${i}].content[${j}].image_url.url` }),
        ),
  );
}

function chatMessages(r: ChatCompletionRequest): ChatMessage[] {
  return r.messages.map((m, i) => {
    const content = contentOf(m.content, i);
    if (m.role === "tool") return { role: "tool", content, toolCallId: m.tool_call_id };
    if (m.role === "assistant") {
      if (m.tool_calls) return { role: "assistant", content, toolCalls: historyCalls(m.tool_calls, i) };
      // A blank answer is history too (a model may answer nothing); OpenAI accepts it.
      return { role: "assistant", content };
    }
    return { role: m.role === "developer" ? "system" : m.role, content };
  });
}

function jsonSchemaOf(r: ChatCompletionRequest): Record<string, unknown> | undefined {
  const f = r.response_format;
  if (f?.type === "json_schema") return checkJsonSchema(f.json_schema.schema);
  if (f?.type === "json_object") return { type: "object" };
  return undefined;
}

/** `top_logprobs` alternatives when `logprobs` is on; `top_logprobs` alone is refused as OpenAI does. */
function logprobsOf(r: ChatCompletionRequest): number | undefined {
  if (r.top_logprobs != null && r.logprobs !== true)
    throw new InvalidInputError("top_logprobs needs logprobs: true", { details: { field: "top_logprobs" } });
  return r.logprobs === true ? (r.top_logprobs ?? 0) : undefined;
}

function chatRequestOf(sluice: Sluice, r: ChatCompletionRequest): ChatRequest {
  const tools = toolsOf(r);
  const logprobs = logprobsOf(r);
  const jsonSchema = jsonSchemaOf(r);
  const forced = tools.toolChoice === "required" || typeof tools.toolChoice === "object";
  if (forced && jsonSchema)
    throw new InvalidInputError("response_format can not be combined with a forced tool_choice", {
      details: { field: "response_format" },
    });
  // The cascade escalates on whole answers and returns text only.
  if (r.model === "auto" && sluice.cascade && (tools.tools || logprobs !== undefined))
    throw new InvalidInputError(`${tools.tools ? "tools" : "logprobs"} are not supported with model "auto"`, {
      details: { field: tools.tools ? "tools" : "logprobs" },
    });
  return {
    ...sampling(r),
    messages: chatMessages(r),
    ...(jsonSchema ? { jsonSchema } : {}),
    ...tools,
    ...(logprobs !== undefined ? { logprobs } : {}),
  };
}

/** `POST /v1/chat/completions`: OpenAI's chat completion, streamed (SSE chunks) or not. */
export async function chatCompletions(
  sluice: Sluice,
  body: unknown,
  options: CallOptions,
): Promise<OpenAiResult<Record<string, unknown>>> {
  refuseUnsupported("chat", body);
  const r = parseInput(chatCompletionRequest(limitsOf(sluice)), body);
  const request = chatRequestOf(sluice, r);
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (!r.stream) {
    const result = await sluice.chat(request, options);
    const calls = result.toolCalls ?? [];
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
            message: {
              role: "assistant",
              content: calls.length > 0 && result.text === "" ? null : result.text,
              refusal: null,
              ...(calls.length > 0 ? { tool_calls: openAiToolCalls(calls) } : {}),
            },
            logprobs: result.logprobs ? chatLogprobs(result.logprobs) : null,
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
  let sent = 0;
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
      sent += event.logprobs?.length ?? 0;
      yield {
        ...base,
        choices: [
          {
            index: 0,
            delta: { content: event.text },
            logprobs: event.logprobs ? chatLogprobs(event.logprobs) : null,
            finish_reason: null,
          },
        ],
      };
      continue;
    }
    // Calls arrive whole at the end: the markup is parsed once the model has finished it.
    if (event.toolCalls && event.toolCalls.length > 0)
      yield {
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: openAiToolCalls(event.toolCalls, true) },
            logprobs: null,
            finish_reason: null,
          },
        ],
      };
    const rest = event.logprobs?.slice(sent);
    yield {
      ...base,
      choices: [
        {
          index: 0,
          delta: {},
          logprobs: rest && rest.length > 0 ? chatLogprobs(rest) : null,
          finish_reason: finishReason(event.stats),
        },
      ],
    };
    if (meta.includeUsage) yield { ...base, choices: [], usage: usage(event.stats) };
  }
}
