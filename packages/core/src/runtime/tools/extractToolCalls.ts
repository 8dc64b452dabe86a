import { randomUUID } from "node:crypto";
import type { GenerateEvent, ToolCall } from "../engine/Engine.ts";
import { isToolCallSyntaxError } from "./errors.ts";
import { LFM2_TOOL_MARKERS, parseToolCalls } from "./lfm2Syntax.ts";

const { callStart, callEnd } = LFM2_TOOL_MARKERS;

/**
 * Splits a generation's stream into content and tool calls. Text before the
 * first tool-call marker streams as content (holding back a tail that could
 * still become the marker); everything after it is held until the end, then
 * parsed. Markup that does not parse is returned as content: a model's bad
 * call is its answer, not a server error.
 */
export async function* extractToolCalls(events: AsyncIterable<GenerateEvent>): AsyncGenerator<GenerateEvent> {
  let full = "";
  let emitted = 0;
  let inCall = false;
  for await (const event of events) {
    if (event.type === "token") {
      full += event.text;
      if (!inCall) {
        const at = full.indexOf(callStart, emitted);
        inCall = at >= 0;
        const safe = inCall ? at : full.length - heldBack(full);
        const text = safe > emitted ? full.slice(emitted, safe) : "";
        emitted = Math.max(emitted, safe);
        if (text.length > 0 || event.logprobs) yield { ...event, text };
      } else if (event.logprobs) yield { ...event, text: "" };
      continue;
    }
    const start = event.text.indexOf(callStart);
    if (start < 0) {
      yield* rest(event, emitted);
      return;
    }
    const end = event.text.indexOf(callEnd, start);
    const markup = event.text.slice(start + callStart.length, end < 0 ? undefined : end);
    let calls: ToolCall[];
    try {
      calls = parseToolCalls(markup).map((c) => ({ id: `call_${randomUUID().replaceAll("-", "")}`, ...c }));
    } catch (err) {
      if (!isToolCallSyntaxError(err)) throw err;
      yield* rest(event, emitted);
      return;
    }
    const after = end < 0 ? "" : event.text.slice(end + callEnd.length);
    const content =
      (event.text.slice(0, start) + after).trim() === "" ? "" : event.text.slice(0, start) + after;
    if (content.length > emitted) {
      yield { type: "token", text: content.slice(emitted) };
    }
    yield {
      ...event,
      text: content,
      toolCalls: calls,
      stats: { ...event.stats, finishReason: end < 0 ? event.stats.finishReason : "tool_calls" },
    };
    return;
  }
}

/** No calls: what was held back goes out as content, then the final event unchanged. */
function* rest(done: Extract<GenerateEvent, { type: "done" }>, emitted: number): Generator<GenerateEvent> {
  if (done.text.length > emitted) yield { type: "token", text: done.text.slice(emitted) };
  yield done;
}

/** Characters at the end of `text` that could be the beginning of the call marker. */
function heldBack(text: string): number {
  for (let n = Math.min(callStart.length - 1, text.length); n > 0; n--)
    if (callStart.startsWith(text.slice(text.length - n))) return n;
  return 0;
}
