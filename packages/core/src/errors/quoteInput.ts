/** Longest prefix of caller input an error message or log line quotes. */
export const MAX_QUOTED_INPUT = 100;

/**
 * Caller input as an error message may quote it: JSON-quoted, cut to
 * `max` characters with the full length noted, so a hostile 100,000-character
 * reference is never echoed back or logged whole. Defaults to
 * {@link MAX_QUOTED_INPUT} characters.
 */
export function quoteInput(value: string, max: number = MAX_QUOTED_INPUT): string {
  if (value.length <= max) return JSON.stringify(value);
  // Cut on a code point boundary, so the quote never ends in half a surrogate pair.
  const last = value.charCodeAt(max - 1);
  const cut = value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
  return `${JSON.stringify(cut)}…(${value.length} chars)`;
}
