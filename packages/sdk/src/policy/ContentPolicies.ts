import { ContentBlockedError, type GenerateParams } from "@sluice/core";
import type { GenerateResult, SluiceGenerateEvent } from "../types.ts";
import type { ContentPolicy, PolicyContext, PolicyListener } from "./ContentPolicy.ts";

/**
 * Applies content policies around the facade's calls: input checks before
 * anything is cached, queued or inferred; output checks on whole answers and,
 * for streams, on the fly with a hold-back window so a match split across
 * tokens is still seen whole. Releases never split a surrogate pair, so every
 * piece is valid UTF-8 on its own.
 */
export class ContentPolicies {
  readonly #policies: readonly ContentPolicy[];
  readonly #listener: PolicyListener | undefined;
  readonly #window: number;

  constructor(policies: readonly ContentPolicy[], listener?: PolicyListener) {
    this.#policies = policies;
    this.#listener = listener;
    this.#window = Math.max(0, ...policies.map((p) => p.outputWindow ?? 0));
  }

  /** True when there is nothing to apply (calls then pass straight through). */
  get empty(): boolean {
    return this.#policies.length === 0;
  }

  /** The prompt or chat messages after the input policies; throws CONTENT_BLOCKED. */
  async input(params: GenerateParams, context: Omit<PolicyContext, "stage">): Promise<GenerateParams> {
    const ctx: PolicyContext = { ...context, stage: "input" };
    if (params.prompt !== undefined) return { ...params, prompt: await this.#apply(params.prompt, ctx) };
    if (params.messages === undefined) return params;
    const messages = [];
    for (const m of params.messages) {
      if (typeof m.content === "string") {
        messages.push({ ...m, content: await this.#apply(m.content, ctx) });
        continue;
      }
      const parts = [];
      for (const part of m.content)
        parts.push(part.type === "text" ? { ...part, text: await this.#apply(part.text, ctx) } : part);
      messages.push({ ...m, content: parts });
    }
    return { ...params, messages };
  }

  /** Embedding texts after the input policies; throws CONTENT_BLOCKED. */
  async texts(texts: readonly string[], context: Omit<PolicyContext, "stage">): Promise<string[]> {
    const ctx: PolicyContext = { ...context, stage: "input" };
    const out: string[] = [];
    for (const t of texts) out.push(await this.#apply(t, ctx));
    return out;
  }

  /** A whole answer after the output policies; throws CONTENT_BLOCKED. */
  async result(result: GenerateResult, context: Omit<PolicyContext, "stage">): Promise<GenerateResult> {
    const text = await this.#apply(result.text, { ...context, stage: "output" });
    return text === result.text ? result : { ...result, text };
  }

  /** A stream with the output policies applied on the fly; ends with CONTENT_BLOCKED when one blocks. */
  async *stream(
    events: AsyncIterable<SluiceGenerateEvent>,
    context: Omit<PolicyContext, "stage">,
  ): AsyncGenerator<SluiceGenerateEvent> {
    const ctx: PolicyContext = { ...context, stage: "output" };
    let pending = "";
    let released = "";
    let model = context.model ?? "";
    for await (const event of events) {
      model = event.model;
      if (event.type === "token") {
        pending += event.text;
        if (pending.length <= this.#window) continue;
        const checked = await this.#apply(pending, ctx);
        const cut = safeCut(checked, checked.length - this.#window);
        pending = checked.slice(cut);
        if (cut > 0) {
          released += checked.slice(0, cut);
          yield { ...event, text: checked.slice(0, cut) };
        }
        continue;
      }
      const rest = pending.length > 0 ? await this.#apply(pending, ctx) : "";
      pending = "";
      if (rest.length > 0) {
        released += rest;
        yield { type: "token", text: rest, model, ...(event.cached ? { cached: true } : {}) };
      }
      yield { ...event, text: released };
    }
  }

  /** Runs every policy of the stage in order; a redaction feeds the next policy. */
  async #apply(text: string, context: PolicyContext): Promise<string> {
    let current = text;
    for (const policy of this.#policies) {
      const check = context.stage === "input" ? policy.checkInput : policy.checkOutput;
      if (check === undefined) continue;
      const verdict = await check.call(policy, current, context);
      if (verdict.action === "allow") continue;
      const reason = verdict.reason ?? verdict.action;
      this.#listener?.({
        stage: context.stage,
        action: verdict.action,
        policy: policy.name,
        reason,
        context,
      });
      if (verdict.action === "block")
        throw new ContentBlockedError(
          `${context.stage} blocked by content policy ${policy.name}: ${reason}`,
          {
            details: { policy: policy.name, reason, stage: context.stage },
          },
        );
      current = verdict.text;
    }
    return current;
  }
}

/** `index`, moved back one when it would split a surrogate pair; never below 0. */
function safeCut(text: string, index: number): number {
  if (index <= 0) return 0;
  const before = text.charCodeAt(index - 1);
  return before >= 0xd800 && before <= 0xdbff ? index - 1 : index;
}
