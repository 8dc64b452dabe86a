import { z } from "zod";
import { MAX_EMBED_INPUTS, MAX_MESSAGES, MAX_TEXT_CHARS } from "../schemas.ts";

const text = z.string().max(MAX_TEXT_CHARS);
const stop = z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(16)]).nullish();

/** Fields OpenAI's sampling requests share; unknown fields are ignored as OpenAI's servers do. */
const sampling = {
  model: z.string().min(1).max(256),
  max_tokens: z
    .number()
    .int()
    .min(1)
    .max(1 << 16)
    .nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  stop,
  seed: z.number().int().min(0).max(0xffff_fffe).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().max(256).optional(),
};

/** Text, or an image as a `data:image/…;base64,` URL (Sluice fetches no remote URLs). */
const contentPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text }),
  z.object({
    type: z.literal("image_url"),
    image_url: z.object({ url: z.string().max(16 * 1024 * 1024), detail: z.string().optional() }),
  }),
]);

export const chatCompletionRequest = z.object({
  ...sampling,
  max_completion_tokens: z
    .number()
    .int()
    .min(1)
    .max(1 << 16)
    .nullish(),
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "developer", "user", "assistant"]),
        content: z.union([text, z.array(contentPart).min(1)]),
        name: z.string().optional(),
      }),
    )
    .min(1)
    .max(MAX_MESSAGES),
  response_format: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("text") }),
      z.object({ type: z.literal("json_object") }),
      z.object({
        type: z.literal("json_schema"),
        json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()) }),
      }),
    ])
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([text.min(1), z.array(text.min(1)).length(1)]),
  echo: z.boolean().nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequest>;

export const embeddingRequest = z.object({
  model: z.string().min(1).max(256),
  input: z.union([text.min(1), z.array(text.min(1)).min(1).max(MAX_EMBED_INPUTS)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().max(256).optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequest>;
