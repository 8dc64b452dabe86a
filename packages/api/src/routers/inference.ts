import { type ChatMessage, decodeImageDataUrl, imagePart } from "@sluice/core";
import { type ChatInput, chatInput, embedInput, generateInput } from "../schemas.ts";
import { inferProcedure, router } from "../trpc.ts";

/** Streaming and one-shot generation (completion mode) and chat, and embeddings. */
export const generateRouter = router({
  /** Streams `{type:"token",text}` events, then one `{type:"done",text,stats}`. Cancels when the client goes away. */
  stream: inferProcedure.input(generateInput).subscription(async function* ({ input, ctx, signal }) {
    yield* ctx.sluice.generate(input, { signal, caller: ctx.principal.id });
  }),
  complete: inferProcedure
    .input(generateInput)
    .mutation(({ input, ctx, signal }) => ctx.sluice.complete(input, { signal, caller: ctx.principal.id })),
});

export const chatRouter = router({
  stream: inferProcedure.input(chatInput).subscription(async function* ({ input, ctx, signal }) {
    yield* ctx.sluice.chatStream(toChat(input), { signal, caller: ctx.principal.id });
  }),
  complete: inferProcedure
    .input(chatInput)
    .mutation(({ input, ctx, signal }) =>
      ctx.sluice.chat(toChat(input), { signal, caller: ctx.principal.id }),
    ),
});

export const embedProcedure = inferProcedure.input(embedInput).mutation(async ({ input, ctx, signal }) => {
  const result = await ctx.sluice.embed(input, { signal, caller: ctx.principal.id, priority: "batch" });
  return {
    model: result.model,
    vectors: result.vectors.map((v) => Array.from(v)),
    promptTokens: result.promptTokens,
    cachedCount: result.cachedCount,
  };
});

/** Chat input with images decoded (and checked) from their data URLs. */
function toChat(input: ChatInput): Omit<ChatInput, "messages"> & { messages: ChatMessage[] } {
  return {
    ...input,
    messages: input.messages.map((m, i) => ({
      role: m.role,
      ...(m.toolCalls ? { toolCalls: m.toolCalls } : {}),
      ...(m.toolCallId ? { toolCallId: m.toolCallId } : {}),
      content:
        typeof m.content === "string"
          ? m.content
          : m.content.map((p, j) =>
              p.type === "text"
                ? p
                : imagePart(decodeImageDataUrl(p.dataUrl, { field: `messages[${i}].content[${j}].dataUrl` })),
            ),
    })),
  };
}
