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
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
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

const toolName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1 to 64 letters, digits, _ . or -");

/** A call an assistant made, with its arguments as an object. */
export const toolCall = z.object({
  id: z.string().min(1).max(256),
  name: toolName,
  arguments: z.record(z.string(), z.unknown()),
});

export const chatMessage = z.object({
  role: z.enum(["system", "user", "assistant", "tool"]),
  /** May be empty only on an assistant message that carries toolCalls. */
  content: z.union([z.string().max(MAX_TEXT_CHARS), z.array(chatPart).min(1).max(16)]),
  toolCalls: z.array(toolCall).min(1).max(128).optional(),
  toolCallId: z.string().min(1).max(256).optional(),
});

/** A function the model may call; `parameters` is the JSON schema of its keyword arguments. */
export const toolDefinition = z.object({
  name: toolName,
  description: z.string().max(8192).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const chatInput = z.object({
  ...samplingShape,
  messages: z.array(chatMessage).min(1).max(MAX_MESSAGES),
  tools: z.array(toolDefinition).max(128).optional(),
  toolChoice: z
    .union([z.enum(["none", "auto", "required"]), z.object({ name: toolName })])
    .optional()
    .describe('Defaults to "auto" when tools are given'),
  parallelToolCalls: z.boolean().optional(),
  /** Alternatives per token to report with each token's log-probability (0–20). */
  logprobs: z.number().int().min(0).max(20).optional(),
});
export type ChatInput = z.infer<typeof chatInput>;

export const embedInput = z.object({
  model: modelId.optional(),
  texts: z.array(z.string().min(1).max(MAX_TEXT_CHARS)).min(1).max(MAX_EMBED_INPUTS),
  normalize: z.boolean().optional(),
});
export type EmbedInput = z.infer<typeof embedInput>;

export const modelRef = z.object({ id: modelId });
