import {
  checkToolSchemas,
  InvalidInputError,
  isSluiceError,
  type ToolCall,
  type ToolChoice,
  type ToolDefinition,
} from "@sluice/core";
import type { ChatCompletionRequest } from "./schemas.ts";

type Request = ChatCompletionRequest;

/** The request's tools in Sluice's terms, with every schema checked before any model work. */
export function toolsOf(r: Request): {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
} {
  const tools = r.tools?.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
  }));
  const choice = r.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice == null ? undefined : typeof choice === "string" ? choice : { name: choice.function.name };
  if (typeof toolChoice === "object" && !tools?.some((t) => t.name === toolChoice.name))
    throw new InvalidInputError("tool_choice names a function that is not among the tools", {
      details: { field: "tool_choice.function.name" },
    });
  if ((toolChoice === "required" || typeof toolChoice === "object") && (tools?.length ?? 0) === 0)
    throw new InvalidInputError("tool_choice needs tools", { details: { field: "tool_choice" } });
  r.tools?.forEach((t, i) => {
    // Arguments are grammar-enforced only when a call is forced; `strict` promises it always.
    if (t.function.strict === true && toolChoice !== "required" && typeof toolChoice !== "object")
      throw new InvalidInputError(
        `tools[${i}].function.strict needs tool_choice "required" or a named function; under "auto" arguments are parsed, not enforced`,
        { details: { field: `tools[${i}].function.strict` } },
      );
  });
  if (tools && tools.length > 0) {
    try {
      checkToolSchemas(tools);
    } catch (err) {
      // Core names `tools[i].parameters…`; the request spells it `tools[i].function.parameters…`.
      if (!isSluiceError(err) || typeof err.details.field !== "string") throw err;
      const field = err.details.field.replace(/^tools\[(\d+)\]\.parameters/, "tools[$1].function.parameters");
      throw new InvalidInputError(err.message.replace(err.details.field, field), {
        details: { field },
        cause: err,
      });
    }
  }
  return {
    ...(tools ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(r.parallel_tool_calls != null ? { parallelToolCalls: r.parallel_tool_calls } : {}),
  };
}

/** An assistant message's `tool_calls`, with each `arguments` JSON string parsed. */
export function historyCalls(
  calls: NonNullable<Extract<Request["messages"][number], { role: "assistant" }>["tool_calls"]>,
  i: number,
): ToolCall[] {
  return calls.map((c, j) => {
    let args: unknown;
    try {
      args = JSON.parse(c.function.arguments);
    } catch {
      args = undefined;
    }
    if (typeof args !== "object" || args === null || Array.isArray(args))
      throw new InvalidInputError(
        `messages[${i}].tool_calls[${j}].function.arguments must be a JSON object`,
        {
          details: { field: `messages[${i}].tool_calls[${j}].function.arguments` },
        },
      );
    return { id: c.id, name: c.function.name, arguments: args as Record<string, unknown> };
  });
}

/** Calls in OpenAI's shape; `index` is added for streamed deltas. */
export function openAiToolCalls(
  calls: readonly ToolCall[],
  streamed = false,
): Array<Record<string, unknown>> {
  return calls.map((c, index) => ({
    ...(streamed ? { index } : {}),
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
}
