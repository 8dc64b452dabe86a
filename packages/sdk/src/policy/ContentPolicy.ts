/** Where a policy looks: the caller's input, or the model's output. */
export type PolicyStage = "input" | "output";

/** What a policy decides about a text. */
export type PolicyVerdict =
  | { action: "allow" }
  /** Use `text` instead (same meaning, parts masked). */
  | { action: "redact"; text: string; reason?: string }
  /** Refuse the request (input) or end the answer (output) with CONTENT_BLOCKED. */
  | { action: "block"; reason: string };

/** Who asks and for what, so a policy can differ per caller or model. */
export interface PolicyContext {
  stage: PolicyStage;
  /** `generate`, `chat` or `embed`. */
  op: string;
  /** The model asked for (`auto` for the cascade); undefined for the default. */
  model: string | undefined;
  /** API key id or `anonymous`. */
  caller: string;
}

/**
 * A content policy: the hook where a deny-list, a PII redactor or a real
 * moderation model (a classifier called over HTTP, a second small model)
 * plugs into every chat, completion and embedding request. Checks may be
 * synchronous or return a promise. A check that throws fails the request.
 */
export interface ContentPolicy {
  /** Named in CONTENT_BLOCKED details, metrics and the audit log. */
  readonly name: string;
  /** Checks one input text: a prompt, one chat message's text, one embedding text. Defaults to allow. */
  checkInput?(text: string, context: PolicyContext): PolicyVerdict | Promise<PolicyVerdict>;
  /**
   * Checks output text. While streaming it is called with the text not yet
   * released (never less than `outputWindow` characters unless the answer
   * ended), so a match can straddle token boundaries. Defaults to allow.
   */
  checkOutput?(text: string, context: PolicyContext): PolicyVerdict | Promise<PolicyVerdict>;
  /**
   * Longest text a single output match can span: streamed output is held back
   * by this many characters so a match is seen whole before any of it is
   * sent. Defaults to `0` (each piece is checked on its own).
   */
  readonly outputWindow?: number;
}

/** Told of every redaction and block, for metrics and the audit log. */
export type PolicyListener = (event: {
  stage: PolicyStage;
  action: "redact" | "block";
  policy: string;
  reason: string;
  context: PolicyContext;
}) => void;
