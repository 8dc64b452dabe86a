/**
 * A byte-level BPE vocabulary in the layout of LFM2's tokenizer: control
 * tokens 0–7, the 256 byte tokens, then merges learned from a small built-in
 * English text so that common words become few tokens. Deterministic.
 */

export const CONTROL_TOKENS = [
  "<|pad|>",
  "<|startoftext|>",
  "<|endoftext|>",
  "<|fim_pre|>",
  "<|fim_mid|>",
  "<|fim_suf|>",
  "<|im_start|>",
  "<|im_end|>",
] as const;

export const CHATML_TEMPLATE =
  "{{- bos_token -}}{%- for message in messages -%}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}{%- endfor -%}{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

const CORPUS = `Once upon a time there was a little model that wanted to answer every question.
It lived in a small server with its friends, the cache, the cascade and the scheduler.
Every day people asked it about the weather, the news, their code and their stories.
The model read each prompt, thought for a while and then wrote an answer one token at a time.
When it was not sure, it asked a bigger model for help, and together they found the right words.
What is the capital of France? The capital of France is Paris. How are you today? I am fine, thank you.
Please summarise this document in three sentences and list the important points for the team.`;

/** GPT-2's reversible byte → printable-character mapping. */
export function byteToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return table;
}

export interface Vocabulary {
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
}

/**
 * Builds a vocabulary of exactly `size` tokens (at least 264 plus the extras).
 * `extraControlTokens` (a multimodal model's image markers, say) take the last
 * ids, as control tokens. Defaults to none.
 */
export function buildVocabulary(size: number, extraControlTokens: readonly string[] = []): Vocabulary {
  if (!Number.isInteger(size) || size < CONTROL_TOKENS.length + 256 + extraControlTokens.length) {
    throw new RangeError(
      `vocabulary size ${size} is below ${CONTROL_TOKENS.length + 256 + extraControlTokens.length}`,
    );
  }
  const learned = size - extraControlTokens.length;
  const b2u = byteToUnicode();
  const tokens: string[] = [...CONTROL_TOKENS, ...b2u];
  const tokenTypes: number[] = [...CONTROL_TOKENS.map(() => 3), ...b2u.map(() => 1)];
  const merges: string[] = [];
  const known = new Set(tokens);

  // Words split on spaces, the space kept as a prefix (Ġ), as GPT-2 does.
  const words = CORPUS.split(/(?= )|\n/).map((w) => [...Buffer.from(w, "utf8")].map((b) => b2u[b]!));
  while (tokens.length < learned) {
    const counts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        const pair = `${w[i]} ${w[i + 1]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [pair, c] of counts) {
      const merged = pair.replace(" ", "");
      if (known.has(merged)) continue;
      if (c > bestCount || (c === bestCount && best !== undefined && pair < best)) {
        best = pair;
        bestCount = c;
      }
    }
    if (best === undefined) {
      // The corpus is exhausted: pad with unused reserved tokens.
      const name = `<|reserved_${tokens.length}|>`;
      tokens.push(name);
      tokenTypes.push(3);
      known.add(name);
      continue;
    }
    const [a, b] = best.split(" ") as [string, string];
    const merged = a + b;
    merges.push(best);
    tokens.push(merged);
    tokenTypes.push(1);
    known.add(merged);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] === a && w[i + 1] === b) w.splice(i, 2, merged);
      }
    }
  }
  for (const extra of extraControlTokens) {
    if (known.has(extra)) throw new RangeError(`control token ${extra} is already in the vocabulary`);
    tokens.push(extra);
    tokenTypes.push(3);
    known.add(extra);
  }
  return { tokens, tokenTypes, merges };
}
