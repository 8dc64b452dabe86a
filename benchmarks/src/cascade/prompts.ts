/** Openings a TinyStories model knows well: a trained small tier should answer these itself. */
export const storyPrompts = [
  "Once upon a time",
  "Once upon a time, there was a little girl named Lily",
  "One day, a little boy named Tim",
  "Once upon a time, there was a big dog",
  "Lily and Tom went to the park",
  "The sun was shining and the birds",
  "Once upon a time, in a small house",
  "One day, Lily found a shiny",
  "Tim had a red ball. He",
  "Once upon a time, there was a kind old man",
] as const;

/** Text unlike anything in training: a small tier should be unsure and escalate. */
export const noisePrompts = [
  "xq zv 7#@ plorf",
  "0x3F 0x00 ;; mov eax, ebx",
  "qwzx kkjh ppl vvb nnm",
  "SELECT * FROM t WHERE id = 42;",
  "∑ ∂ ƒ © ˙ ∆ ˚ ¬",
  "zzz 918273 !!! ??? ###",
  "grblf snorp quix wemb",
  '{ "a": [1, 2, {"b": null}] }',
  "Xy9 Lm3 Qp7 Zt1 Vr5",
  "kernel panic - not syncing: VFS",
] as const;

export const prompts: readonly string[] = [...storyPrompts, ...noisePrompts];
