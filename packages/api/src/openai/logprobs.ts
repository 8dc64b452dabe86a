import type { TokenLogprob } from "@sluice/core";

/** Chat's `choices[].logprobs`: per-token entries with `top_logprobs`. */
export function chatLogprobs(entries: readonly TokenLogprob[]): Record<string, unknown> {
  return {
    content: entries.map((e) => ({
      token: e.token,
      logprob: e.logprob,
      bytes: e.bytes,
      top_logprobs: e.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes })),
    })),
    refusal: null,
  };
}

/** The legacy completion's `choices[].logprobs`: parallel arrays; `text_offset` counts from `offset`. */
export function completionLogprobs(
  entries: readonly TokenLogprob[],
  offset: number,
): Record<string, unknown> {
  const textOffset: number[] = [];
  let at = offset;
  for (const e of entries) {
    textOffset.push(at);
    at += e.token.length;
  }
  return {
    tokens: entries.map((e) => e.token),
    token_logprobs: entries.map((e) => e.logprob),
    top_logprobs: entries.map((e) => Object.fromEntries(e.top.map((t) => [t.token, t.logprob]))),
    text_offset: textOffset,
  };
}
