import { z } from "zod";
import { MAX_EMBED_INPUTS, MAX_MESSAGES, MAX_TEXT_CHARS } from "../schemas.ts";

const text = z.string().max(MAX_TEXT_CHARS);
const stop = z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(16)]).nullish();
/** OpenAI's function names: what its API accepts and what LFM2's call syntax can spell. */
const functionName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1 to 64 letters, digits, _ . or -");

/** The limits a server enforces; the request schemas' maximums are these, so 400s name the request's own field. */
export interface RequestLimits {
  /** Most tokens one generation may produce. */
  maxTokens: number;
}

const tokens = (limits: RequestLimits) =>
  z
    .number()
    .int()
    .min(1, { message: "must be at least 1" })
    .max(limits.maxTokens, { message: `must be at most ${limits.maxTokens} (limits.maxTokens)` })
    .nullish();

/**
 * Fields OpenAI's sampling requests share. Unknown fields are ignored as
 * OpenAI's servers do; OpenAI fields Sluice does not implement are refused
 * before parsing (see refusals.ts).
 */
const sampling = (limits: RequestLimits) => ({
  model: z.string().min(1).max(256),
  max_tokens: tokens(limits),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  stop,
  seed: z.number().int().min(0).max(0xffff_fffe).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().max(256).optional(),
});

/** Text, or an image as a `data:image/…;base64,` URL (Sluice fetches no remote URLs). */
const contentPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text }),
  z.object({
    type: z.literal("image_url"),
    image_url: z.object({ url: z.string().max(16 * 1024 * 1024), detail: z.string().optional() }),
  }),
]);

const toolCall = z.object({
  id: z.string().min(1).max(256),
  type: z.literal("function"),
  function: z.object({ name: functionName, arguments: z.string().max(MAX_TEXT_CHARS) }),
});

const message = z.discriminatedUnion("role", [
  z.object({
    role: z.enum(["system", "developer", "user"]),
    content: z.union([text, z.array(contentPart).min(1)]),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal("assistant"),
    content: z.union([text, z.array(contentPart).min(1)]).nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).min(1).max(128).optional(),
    refusal: z.string().nullish(),
  }),
  z.object({
    role: z.literal("tool"),
    content: z.union([text, z.array(contentPart).min(1)]),
    tool_call_id: z.string().min(1).max(256),
  }),
]);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: functionName,
    description: z.string().max(8192).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

export const chatCompletionRequest = (limits: RequestLimits) =>
  z.object({
    ...sampling(limits),
    max_completion_tokens: tokens(limits),
    messages: z.array(message).min(1).max(MAX_MESSAGES),
    response_format: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("text") }),
        z.object({ type: z.literal("json_object") }),
        z.object({
          type: z.literal("json_schema"),
          json_schema: z.object({
            name: z.string().optional(),
            description: z.string().optional(),
            schema: z.record(z.string(), z.unknown()),
            strict: z.boolean().nullish(),
          }),
        }),
      ])
      .nullish(),
    tools: z.array(tool).max(128).nullish(),
    tool_choice: z
      .union([
        z.enum(["none", "auto", "required"]),
        z.object({ type: z.literal("function"), function: z.object({ name: functionName }) }),
      ])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
  });
export type ChatCompletionRequest = z.infer<ReturnType<typeof chatCompletionRequest>>;

export const completionRequest = (limits: RequestLimits) =>
  z.object({
    ...sampling(limits),
    prompt: z.union([text.min(1), z.array(text.min(1)).length(1)]),
    echo: z.boolean().nullish(),
    /** The legacy API's logprobs: how many alternatives per token (OpenAI allows 5; Sluice up to 20). */
    logprobs: z.number().int().min(0).max(20).nullish(),
  });
export type CompletionRequest = z.infer<ReturnType<typeof completionRequest>>;

export const embeddingRequest = z.object({
  model: z.string().min(1).max(256),
  input: z.union([text.min(1), z.array(text.min(1)).min(1).max(MAX_EMBED_INPUTS)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().max(256).optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequest>;
