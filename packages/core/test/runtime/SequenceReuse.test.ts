import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, GenerateParams } from "../../src/runtime/engine/index.ts";
import { type LlamaEngine, LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { extensionLength } from "../../src/runtime/llama/SequenceStore.ts";
import { collect, TEST_LOAD, testModels } from "./models.ts";

const models = await testModels();
const factory = new LlamaEngineFactory();

describe("extensionLength", () => {
  it("is the kept length only for a proper prefix", () => {
    expect(extensionLength([1, 2], [1, 2, 3])).toBe(2);
    expect(extensionLength([1, 2, 3], [1, 2, 3])).toBe(-1);
    expect(extensionLength([1, 3], [1, 2, 3])).toBe(-1);
    expect(extensionLength([], [1])).toBe(-1);
    expect(extensionLength([1, 2, 3, 4], [1, 2, 3])).toBe(-1);
  });
});

const greedy = (messages: ChatMessage[], maxTokens = 16): GenerateParams => ({
  messages,
  maxTokens,
  temperature: 0,
});

describe.each(models)("sequence reuse on $name", (m) => {
  let reuse: LlamaEngine;
  let fresh: LlamaEngine;
  beforeAll(async () => {
    reuse = (await factory.load({ modelPath: m.path, ...TEST_LOAD, sequences: 2 })) as LlamaEngine;
    fresh = (await factory.load({
      modelPath: m.path,
      ...TEST_LOAD,
      sequences: 2,
      sequenceReuse: false,
    })) as LlamaEngine;
  });
  afterAll(async () => {
    await reuse.dispose();
    await fresh.dispose();
  });

  it("extends a kept prompt's state and gives the same greedy output as a fresh sequence", async () => {
    // maxTokens 1: the one generated token is returned, not evaluated, so the kept state is the prompt.
    const first = await collect(reuse.generate({ prompt: m.prompt, maxTokens: 1, temperature: 0 }));
    const before = reuse.sequenceReuse();
    const next: GenerateParams = { prompt: `${m.prompt} and then the`, maxTokens: 12, temperature: 0 };
    const second = await collect(reuse.generate(next));
    const baseline = await collect(fresh.generate(next));
    const after = reuse.sequenceReuse();
    expect(second.text).toBe(baseline.text);
    expect(second.done.stats.reusedPromptTokens).toBe(first.done.stats.promptTokens);
    expect(after.hits).toBe(before.hits + 1);
    expect(after.savedTokens - before.savedTokens).toBe(first.done.stats.promptTokens);
    expect(baseline.done.stats.reusedPromptTokens).toBeUndefined();
    expect(fresh.sequenceReuse()).toMatchObject({ hits: 0, savedTokens: 0, kept: 0 });
  });

  it("never reuses a sequence whose tokens the prompt does not extend exactly", async () => {
    const a = await collect(reuse.generate({ prompt: `${m.prompt} alpha`, maxTokens: 8, temperature: 0 }));
    const before = reuse.sequenceReuse();
    // Same start, different continuation: the kept state is not a prefix of it.
    const b = await collect(reuse.generate({ prompt: `${m.prompt} beta`, maxTokens: 8, temperature: 0 }));
    const c = await collect(fresh.generate({ prompt: `${m.prompt} beta`, maxTokens: 8, temperature: 0 }));
    expect(b.done.stats.reusedPromptTokens).toBeUndefined();
    expect(b.text).toBe(c.text);
    expect(reuse.sequenceReuse().hits).toBe(before.hits);
    expect(a.done.stats.generatedTokens).toBeGreaterThan(0);
  });

  it("evicts the least recently used kept sequence when a new prompt needs one", async () => {
    const one = (await factory.load({ modelPath: m.path, ...TEST_LOAD, sequences: 1 })) as LlamaEngine;
    try {
      await collect(one.generate({ prompt: m.prompt, maxTokens: 1, temperature: 0 }));
      expect(one.sequenceReuse()).toMatchObject({ kept: 1, evictions: 0 });
      await collect(one.generate({ prompt: "Something else entirely", maxTokens: 4, temperature: 0 }));
      expect(one.sequenceReuse()).toMatchObject({ kept: 1, evictions: 1, hits: 0 });
      // The first prompt's state is gone, so its extension starts from an empty sequence.
      const second = await collect(
        one.generate({ prompt: `${m.prompt} and more`, maxTokens: 4, temperature: 0 }),
      );
      expect(second.done.stats.reusedPromptTokens).toBeUndefined();
      expect(one.sequenceReuse()).toMatchObject({ evictions: 2, hits: 0 });
      expect(one.busySequences()).toBe(0);
    } finally {
      await one.dispose();
    }
  });

  it("clears an aborted request's sequence instead of keeping it", async () => {
    const controller = new AbortController();
    const kept = reuse.sequenceReuse().kept;
    const stream = reuse.generate(
      { prompt: `${m.prompt} gamma`, maxTokens: 64, temperature: 0 },
      controller.signal,
    );
    await expect(
      (async () => {
        for await (const e of stream) if (e.type === "token") controller.abort();
      })(),
    ).rejects.toMatchObject({ code: "ABORTED" });
    // Released asynchronously after the clear; wait until the sequence is free again.
    while (reuse.busySequences() > 0) await new Promise((r) => setTimeout(r, 5));
    expect(reuse.sequenceReuse().kept).toBeLessThanOrEqual(kept);
  });
});

// A real chat's next turn: the previous prompt + answer + new message, rendered by the
// chat template. lfm2-tiny's random weights answer only newlines, which the template
// trims, so this runs on the real stories260K model (required in CI).
describe.each(models.filter((m) => m.name === "stories260K"))("chat turns on $name", (m) => {
  it("continues turn 1's sequence on turn 2 with the same greedy output as without reuse", async () => {
    const reuse = (await factory.load({ modelPath: m.path, ...TEST_LOAD })) as LlamaEngine;
    const fresh = (await factory.load({
      modelPath: m.path,
      ...TEST_LOAD,
      sequenceReuse: false,
    })) as LlamaEngine;
    try {
      const turn1: ChatMessage[] = [{ role: "user", content: m.prompt }];
      const first = await collect(reuse.generate(greedy(turn1)));
      const turn2: ChatMessage[] = [
        ...turn1,
        { role: "assistant", content: first.text },
        { role: "user", content: "What happened next?" },
      ];
      const second = await collect(reuse.generate(greedy(turn2)));
      const baseline = await collect(fresh.generate(greedy(turn2)));
      expect(second.text).toBe(baseline.text);
      expect(second.done.stats.reusedPromptTokens).toBeGreaterThan(first.done.stats.promptTokens);
      expect(reuse.sequenceReuse()).toMatchObject({ hits: 1 });
    } finally {
      await reuse.dispose();
      await fresh.dispose();
    }
  });
});
