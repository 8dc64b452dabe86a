import { z } from "zod";

/** Longest prompt or message accepted, in characters (the context limit is checked in tokens later). */
export const MAX_TEXT_CHARS = 200_000;
/** Most messages one chat request may carry. */
export const MAX_MESSAGES = 256;
/** Most texts one embed request may carry. */
export const MAX_EMBED_INPUTS = 2048;

const modelId = z
  .string()
  .regex(/^[A-Za-z0-9._:/-]{1,256}$/, "must be a model id")
  .describe("Model id; defaults to the server's default model");

/** Sampling parameters shared by generate and chat. */
export const samplingShape = {
  model: modelId.optional(),
  maxTokens: z
    .number()
    .int()
    .min(1)
    .max(1 << 16)
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z
    .number()
    .int()
    .min(0)
    .max(1 << 20)
    .optional(),
  seed: z.number().int().min(0).max(0xffff_fffe).optional(),
  repeatPenalty: z.number().gt(0).max(2).optional(),
  stop: z.array(z.string().min(1).max(256)).max(16).optional(),
  jsonSchema: z.record(z.string(), z.unknown()).optional(),
  confidence: z.boolean().optional(),
};

export const generateInput = z.object({
  ...samplingShape,
  prompt: z.string().min(1).max(MAX_TEXT_CHARS),
});
export type GenerateInput = z.infer<typeof generateInput>;

/** A message part: text, or an image as a `data:image/…;base64,` URL (vision models). */
export const chatPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string().min(1).max(MAX_TEXT_CHARS) }),
  z.object({
    type: z.literal("image"),
    dataUrl: z
      .string()
      .startsWith("data:image/")
      .max(16 * 1024 * 1024),
  }),
]);

export const chatMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.union([z.string().min(1).max(MAX_TEXT_CHARS), z.array(chatPart).min(1).max(16)]),
});

export const chatInput = z.object({
  ...samplingShape,
  messages: z.array(chatMessage).min(1).max(MAX_MESSAGES),
});
export type ChatInput = z.infer<typeof chatInput>;

export const embedInput = z.object({
  model: modelId.optional(),
  texts: z.array(z.string().min(1).max(MAX_TEXT_CHARS)).min(1).max(MAX_EMBED_INPUTS),
  normalize: z.boolean().optional(),
});
export type EmbedInput = z.infer<typeof embedInput>;

export const modelRef = z.object({ id: modelId });
