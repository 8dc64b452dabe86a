import type { LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncrementalDetokenizer } from "../../src/runtime/llama/IncrementalDetokenizer.ts";
import { getSharedLlama } from "../../src/runtime/llama/index.ts";
import { testModels } from "./models.ts";

const models = await testModels();
const texts = [
  " there was a little girl named Lily. She liked to play.",
  " café naïve — 日本語 🙂 ok",
  "\n\nHello,   world!\tTabs and  spaces",
];

describe.each(models)("IncrementalDetokenizer on $name", (m) => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await (await getSharedLlama()).loadModel({ modelPath: m.path });
  });
  afterAll(async () => {
    await model.dispose();
  });

  it("gives, token by token, exactly the text of decoding all tokens at once", () => {
    const prompt = model.tokenize(m.prompt);
    for (const text of texts) {
      const tokens = model.tokenize(text);
      const detokenizer = new IncrementalDetokenizer(model, prompt);
      let last = "";
      for (const t of tokens) last = detokenizer.push(t);
      expect(last).toBe(model.detokenize(tokens, false, prompt.slice(-8)));
    }
  });
});
