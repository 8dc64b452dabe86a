const WORDS =
  "the model reads a prompt and writes an answer one token at a time while the scheduler keeps every sequence busy and the cache remembers what it has seen before".split(
    " ",
  );

/** A prompt of exactly `tokens` tokens for this engine's tokenizer (BOS excluded), built from plain words. */
export async function promptOfTokens(
  engine: { tokenize(text: string): Promise<number[]> },
  tokens: number,
): Promise<string> {
  let words: string[] = [];
  let i = 0;
  while ((await engine.tokenize(words.join(" "))).length < tokens) words.push(WORDS[i++ % WORDS.length]!);
  // Trim characters from the end until the count is exact (byte-level BPE makes this converge).
  let text = words.join(" ");
  while ((await engine.tokenize(text)).length > tokens) text = text.slice(0, -1);
  words = [];
  return text;
}
