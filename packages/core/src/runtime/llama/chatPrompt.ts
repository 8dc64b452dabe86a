import {
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  LlamaText,
  resolveChatWrapper,
  type Token,
} from "node-llama-cpp";
import { InvalidInputError } from "../../errors/index.ts";
import type { ChatMessage, ToolDefinition } from "../engine/index.ts";
import { inlineToolMessages, usesTools } from "../tools/index.ts";
import { renderToolChatTemplate } from "./toolChatTemplate.ts";

export interface RenderedPrompt {
  tokens: Token[];
  /** Plain-text stop triggers of the chat template (special-token triggers end generation as EOG anyway). */
  stops: string[];
}

// Resolving the wrapper parses and probes the model's Jinja template (it renders
// and tokenizes sample chats to compare it with node-llama-cpp's specialised
// wrappers): ~230 ms on lfm2-tiny, 6-9 s of synchronous work on the LFM2-350M
// shape (65k vocabulary). Once per model, at load: see prepareChat.
const wrappers = new WeakMap<LlamaModel, ChatWrapper>();

function chatWrapperOf(model: LlamaModel): ChatWrapper {
  let wrapper = wrappers.get(model);
  if (wrapper === undefined) {
    wrapper = resolveChatWrapper(model);
    wrappers.set(model, wrapper);
  }
  return wrapper;
}

/**
 * Resolves the model's chat wrapper now, so no request pays for it. Engines
 * call it while loading: the work is synchronous, and on a request path it
 * blocked a runner's event loop past the heartbeat deadline (the first chat on
 * the LFM2-350M shape killed its runner) and an in-process host for seconds.
 */
export function prepareChat(model: LlamaModel): void {
  chatWrapperOf(model);
}

/**
 * Renders chat messages with the model's own chat template, ready for the
 * assistant's turn. With tools or tool messages: through the GGUF's Jinja
 * template when it renders LFM2 tools, else LFM2's conventions inlined into
 * plain messages (see inlineToolMessages).
 */
export function renderChat(
  model: LlamaModel,
  messages: readonly ChatMessage[],
  tools?: readonly ToolDefinition[],
): RenderedPrompt {
  if (usesTools(messages, tools)) {
    const tokens = renderToolChatTemplate(model, messages, tools);
    if (tokens !== undefined) return { tokens, stops: [] };
    messages = inlineToolMessages(messages, tools);
  }
  const history: ChatHistoryItem[] = messages.map((m, i) => {
    if (typeof m.content !== "string") {
      if (m.content.some((p) => p.type !== "text"))
        throw new InvalidInputError(`messages[${i}] has an image part; this engine is text-only`, {
          details: { field: `messages[${i}].content` },
        });
    }
    const text =
      typeof m.content === "string"
        ? m.content
        : m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
    if (m.role === "system") return { type: "system", text };
    if (m.role === "user") return { type: "user", text };
    return { type: "model", response: [text] };
  });
  history.push({ type: "model", response: [] });
  const wrapper = chatWrapperOf(model);
  const state = wrapper.generateContextState({ chatHistory: history });
  const stops = state.stopGenerationTriggers
    .filter((t) => t.values.every((v) => typeof v === "string"))
    .map((t) => t.toString())
    .filter((s) => s.length > 0);
  return { tokens: LlamaText(state.contextText).tokenize(model.tokenizer), stops };
}
