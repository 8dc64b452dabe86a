import type { ContentPolicy, PolicyVerdict } from "./ContentPolicy.ts";

const ALLOW: PolicyVerdict = { action: "allow" };

/** Options of {@link denyListPolicy}. */
export interface DenyListOptions {
  /** Words or phrases, matched case-insensitively on word boundaries. Defaults to none. */
  terms?: readonly string[];
  /** Regular expressions (sources), matched case-insensitively. Defaults to none. */
  patterns?: readonly string[];
  /** Longest text one pattern match may span while streaming. Defaults to the longest term, at least `64`. */
  window?: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Blocks input or output containing a listed term or pattern; the reason names what matched (never the text around it). */
export function denyListPolicy(options: DenyListOptions): ContentPolicy {
  const terms = (options.terms ?? []).filter((t) => t.length > 0);
  const sources = [
    ...terms.map((t) => `(?<![\\p{L}\\p{N}])${escapeRegExp(t)}(?![\\p{L}\\p{N}])`),
    ...(options.patterns ?? []),
  ];
  const regexes = sources.map((s) => new RegExp(s, "iu"));
  const labels = [
    ...terms.map((t) => `term ${JSON.stringify(t.slice(0, 40))}`),
    ...(options.patterns ?? []).map((_, i) => `pattern #${i + 1}`),
  ];
  const check = (text: string): PolicyVerdict => {
    const hit = regexes.findIndex((r) => r.test(text));
    return hit === -1 ? ALLOW : { action: "block", reason: `deny-list ${labels[hit]}` };
  };
  return {
    name: "deny-list",
    outputWindow: options.window ?? Math.max(64, ...terms.map((t) => t.length)),
    checkInput: check,
    checkOutput: check,
  };
}

/** Kinds of personal data {@link piiRedactionPolicy} masks. */
export type PiiKind = "email" | "phone" | "card";

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
// International or North American shapes; 9–15 digits (E.164) so years, counts and
// longer digit runs survive. Neither pattern matches inside a longer run, separators included.
const PHONE =
  /(?<![\p{N}][\s.-]?)(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\s.-]?[\p{N}])/gu;
const CARD = /(?<![\p{N}][ -]?)\d(?:[ -]?\d){12,18}(?![ -]?[\p{N}])/gu;

/** True when the digits of `candidate` pass the Luhn check (card numbers do; most other long numbers do not). */
export function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Masks e-mail addresses, phone numbers and (Luhn-checked) card numbers as
 * `[email]`, `[phone]`, `[card]`, in input and output. Pattern-based: it
 * catches the common shapes, not every way of writing personal data.
 */
export function piiRedactionPolicy(kinds: readonly PiiKind[] = ["email", "phone", "card"]): ContentPolicy {
  const on = new Set(kinds);
  const redact = (text: string): PolicyVerdict => {
    let out = text;
    const found: string[] = [];
    const mask = (kind: PiiKind): string => {
      found.push(kind);
      return `[${kind}]`;
    };
    if (on.has("email")) out = out.replace(EMAIL, () => mask("email"));
    // Cards before phones: a card number also has a phone number's shape.
    if (on.has("card")) out = out.replace(CARD, (m) => (luhnValid(m) ? mask("card") : m));
    if (on.has("phone"))
      out = out.replace(PHONE, (m) => {
        const digits = m.replace(/\D/g, "").length;
        return digits >= 9 && digits <= 15 ? mask("phone") : m;
      });
    return found.length === 0
      ? ALLOW
      : { action: "redact", text: out, reason: [...new Set(found)].join(",") };
  };
  return { name: "pii", outputWindow: 64, checkInput: redact, checkOutput: redact };
}
