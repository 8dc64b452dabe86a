import { Template } from "@huggingface/jinja";
import type { LlamaModel, Token } from "node-llama-cpp";
import { InvalidInputError } from "../../errors/index.ts";
import type { ChatMessage, ToolDefinition } from "../engine/index.ts";
import { assistantText, LFM2_TOOL_MARKERS, messageText } from "../tools/index.ts";

// Parsing a template costs milliseconds; tool requests reuse it per model.
const templates = new WeakMap<LlamaModel, Template | null>();

/** The model's own chat template when it renders LFM2 tool definitions; null otherwise. */
function toolTemplateOf(model: LlamaModel): Template | null {
  let template = templates.get(model);
  if (template === undefined) {
    const source = model.fileInfo.metadata?.tokenizer?.chat_template;
    template =
      typeof source === "string" && source.includes(LFM2_TOOL_MARKERS.listStart)
        ? new Template(source)
        : null;
    templates.set(model, template);
  }
  return template;
}

/**
 * Renders a conversation with tools through the GGUF's own Jinja template, as
 * LFM2's template expects it: `tools` as `{name, description, parameters}`,
 * assistant calls in LFM2 markup inside the content, `tool` messages as their
 * own role. Returns undefined when the template does not render tools (the
 * caller then uses the documented fallback rendering).
 */
export function renderToolChatTemplate(
  model: LlamaModel,
  messages: readonly ChatMessage[],
  tools: readonly ToolDefinition[] | undefined,
): Token[] | undefined {
  const template = toolTemplateOf(model);
  if (template === null) return undefined;
  const rendered = messages.map((m, i) => {
    if (typeof m.content !== "string" && m.content.some((p) => p.type !== "text"))
      throw new InvalidInputError(`messages[${i}] has an image part; this engine is text-only`, {
        details: { field: `messages[${i}].content` },
      });
    return { role: m.role, content: m.role === "assistant" ? assistantText(m) : messageText(m) };
  });
  const text = template.render({
    messages: rendered,
    ...(tools && tools.length > 0
      ? {
          tools: tools.map((t) => ({
            name: t.name,
            ...(t.description !== undefined ? { description: t.description } : {}),
            parameters: t.parameters ?? { type: "object", properties: {} },
          })),
        }
      : {}),
    add_generation_prompt: true,
    bos_token: tokenText(model, model.tokens.bos),
    eos_token: tokenText(model, model.tokens.eos),
  });
  // The template writes control tokens as text; they must tokenize as the tokens themselves.
  return model.tokenize(text, true);
}

function tokenText(model: LlamaModel, token: Token | null): string {
  return token === null ? "" : model.detokenize([token], true);
}
