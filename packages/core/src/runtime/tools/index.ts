export { isToolCallSyntaxError, ToolCallSyntaxError } from "./errors.ts";
export { extractToolCalls } from "./extractToolCalls.ts";
export {
  isIdentifier,
  LFM2_TOOL_MARKERS,
  type ParsedToolCall,
  parseToolCalls,
  renderPythonValue,
  renderToolCalls,
} from "./lfm2Syntax.ts";
export {
  buildToolGrammar,
  checkToolSchemas,
  MAX_PARALLEL_TOOL_CALLS,
  MAX_TOOL_GRAMMAR_RULES,
  MAX_TOOL_SCHEMA_DEPTH,
} from "./toolGrammar.ts";
export { assistantText, inlineToolMessages, messageText, toolListJson, usesTools } from "./toolMessages.ts";
