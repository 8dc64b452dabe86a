import { randomUUID } from "node:crypto";
import type { CallOptions, GenerateRequest, Sluice, SluiceGenerateEvent } from "@sluice/sdk";
import { parseInput } from "../zodError.ts";
import { extension, finishReason, limitsOf, type OpenAiResult, sampling, usage } from "./common.ts";
import { completionLogprobs } from "./logprobs.ts";
import { primeStream } from "./primeStream.ts";
import { refuseUnsupported } from "./refusals.ts";
import { completionRequest } from "./schemas.ts";

/** `POST /v1/completions`: OpenAI's legacy text completion, streamed or not. */
export async function completions(
  sluice: Sluice,
  body: unknown,
  options: CallOptions,
): Promise<OpenAiResult<Record<string, unknown>>> {
  refuseUnsupported("completions", body);
  const r = parseInput(completionRequest(limitsOf(sluice)), body);
  const prompt = typeof r.prompt === "string" ? r.prompt : (r.prompt[0] as string);
  const request: GenerateRequest = {
    ...sampling(r),
    prompt,
    ...(r.logprobs != null ? { logprobs: r.logprobs } : {}),
  };
  const id = `cmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const echo = r.echo === true ? prompt : "";
  if (!r.stream) {
    const result = await sluice.complete(request, options);
    const logprobs = result.logprobs ? completionLogprobs(result.logprobs, echo.length) : null;
    return {
      kind: "json",
      body: {
        id,
        object: "text_completion",
        created,
        model: result.model,
        choices: [
          { index: 0, text: echo + result.text, logprobs, finish_reason: finishReason(result.stats) },
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
  let offset = meta.echo.length;
  let sent = 0;
  for await (const event of events) {
    const base = { id: meta.id, object: "text_completion", created: meta.created, model: event.model };
    if (event.type === "token") {
      const logprobs = event.logprobs ? completionLogprobs(event.logprobs, offset) : null;
      sent += event.logprobs?.length ?? 0;
      offset += event.text.length;
      yield {
        ...base,
        choices: [{ index: 0, text: pendingEcho + event.text, logprobs, finish_reason: null }],
      };
      pendingEcho = "";
      continue;
    }
    const rest = event.logprobs?.slice(sent);
    const logprobs = rest && rest.length > 0 ? completionLogprobs(rest, offset) : null;
    yield {
      ...base,
      choices: [{ index: 0, text: pendingEcho, logprobs, finish_reason: finishReason(event.stats) }],
    };
    if (meta.includeUsage) yield { ...base, choices: [], usage: usage(event.stats) };
  }
}
