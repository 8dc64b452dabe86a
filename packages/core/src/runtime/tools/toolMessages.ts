import type { ChatMessage, ToolDefinition } from "../engine/Engine.ts";
import { LFM2_TOOL_MARKERS, renderToolCalls } from "./lfm2Syntax.ts";

/** Plain text of a message's content (images have none). */
export function messageText(m: ChatMessage): string {
  return typeof m.content === "string"
    ? m.content
    : m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** Tool definitions as LFM2's template lists them: one JSON object per tool. */
export function toolListJson(tools: readonly ToolDefinition[]): string {
  return `[${tools
    .map((t) =>
      JSON.stringify({
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters ?? { type: "object", properties: {} },
      }),
    )
    .join(", ")}]`;
}

/** An assistant message's text followed by its calls in LFM2 markup. */
export function assistantText(m: ChatMessage): string {
  const calls = m.toolCalls ?? [];
  return messageText(m) + (calls.length > 0 ? renderToolCalls(calls) : "");
}

/**
 * Fallback for chat templates that know nothing of tools: the conversation in
 * LFM2's conventions written as plain system, user and assistant messages. The
 * tool list joins the system message, calls are appended to their assistant
 * message, and each tool result becomes a user message between the
 * tool-response markers.
 */
export function inlineToolMessages(
  messages: readonly ChatMessage[],
  tools: readonly ToolDefinition[] | undefined,
): ChatMessage[] {
  const out: ChatMessage[] = messages.map((m) => {
    if (m.role === "tool")
      return {
        role: "user",
        content: `${LFM2_TOOL_MARKERS.responseStart}${messageText(m)}${LFM2_TOOL_MARKERS.responseEnd}`,
      };
    if (m.role === "assistant" && (m.toolCalls?.length ?? 0) > 0)
      return { role: "assistant", content: assistantText(m) };
    return m;
  });
  if (tools !== undefined && tools.length > 0) {
    const list = `List of tools: ${LFM2_TOOL_MARKERS.listStart}${toolListJson(tools)}${LFM2_TOOL_MARKERS.listEnd}`;
    const first = out[0];
    if (first?.role === "system") out[0] = { role: "system", content: `${messageText(first)}\n${list}` };
    else out.unshift({ role: "system", content: list });
  }
  return out;
}

/** True when the conversation needs tool rendering at all. */
export function usesTools(
  messages: readonly ChatMessage[],
  tools: readonly ToolDefinition[] | undefined,
): boolean {
  return (
    (tools?.length ?? 0) > 0 || messages.some((m) => m.role === "tool" || (m.toolCalls?.length ?? 0) > 0)
  );
}
