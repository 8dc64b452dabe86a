import { InferenceFailedError } from "../../errors/index.ts";

const brand = Symbol.for("sluice.toolCallSyntaxError");

/**
 * The model's tool-call markup is not a list of calls Sluice can read. Engines
 * catch it and return the text as content; it reaches callers of the parser.
 */
export class ToolCallSyntaxError extends InferenceFailedError {
  readonly [brand] = true;

  constructor(message: string, offset: number) {
    super(message, { details: { reason: "tool_call_syntax", offset } });
    this.name = "ToolCallSyntaxError";
  }
}

/** True for a ToolCallSyntaxError, also from another copy of this package. */
export function isToolCallSyntaxError(value: unknown): value is ToolCallSyntaxError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
