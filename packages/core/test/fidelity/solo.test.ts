// A request alone through Sluice gives what raw node-llama-cpp gives, token for
// token, in both runtime modes; and whatever a previous request did to the
// sequence (abort, early stop, stop string), the next answer is the same.

import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ConfidenceStats,
  Engine,
  GenerateEvent,
  GenerateParams,
  TokenLogprob,
} from "../../src/runtime/engine/index.ts";
import { LlamaEngineFactory } from "../../src/runtime/llama/index.ts";
import { RunnerEngineFactory } from "../../src/runtime/runner/index.ts";
import { FIDELITY_LOAD, fidelityModels, sixteen } from "./models.ts";
import { batchedEmbeddingFaults, RawModel } from "./reference.ts";

const models = await fidelityModels();
const NEW_TOKENS = 32;

async function run(
  engine: Engine,
  params: GenerateParams,
  signal?: AbortSignal,
): Promise<{ text: string; tokens: number }> {
  for await (const e of engine.generate(params, signal) as AsyncIterable<GenerateEvent>) {
    if (e.type === "done") return { text: e.text, tokens: e.stats.generatedTokens };
  }
  throw new Error("no done event");
}

const dropLeadingSpace = (text: string) => text.replace(/^ /, "");

describe.each(models)("solo fidelity on $name", (m) => {
  let raw: RawModel;
  // One sequence each: every request reuses the sequence the previous one left.
  const engines: Array<[string, Engine]> = [];
  beforeAll(async () => {
    raw = await RawModel.load(m.path, FIDELITY_LOAD);
    const load = { modelPath: m.path, ...FIDELITY_LOAD, sequences: 1, embeddingContexts: 1 };
    engines.push(["in-process", await new LlamaEngineFactory().load(load)]);
    // Liveness is crash.test.ts's subject; here a loaded CI machine must not
    // turn a slow first chat template render into a missed heartbeat.
    engines.push(["runner", await new RunnerEngineFactory({ heartbeatTimeoutMs: 60_000 }).load(load)]);
  });
  afterAll(async () => {
    for (const [, e] of engines) await e.dispose();
    await raw?.dispose();
  });

  it("completes raw prompts as LlamaCompletion does, token for token, in both modes", async () => {
    for (const prompt of m.prompts) {
      const expected = await raw.completion(prompt, NEW_TOKENS);
      // node-llama-cpp's own evaluate loop agrees with LlamaCompletion: the reference is one thing.
      expect((await raw.greedy(prompt, NEW_TOKENS)).tokens).toEqual(expected.tokens);
      for (const [mode, engine] of engines) {
        const got = await run(engine, { prompt, maxTokens: NEW_TOKENS, temperature: 0 });
        // Same tokens; the text is those tokens detokenized after the prompt (LlamaCompletion
        // drops a SentencePiece word's leading space at the start of its answer, Sluice keeps it
        // so that prompt + answer reads right).
        expect(got, `${mode}: ${JSON.stringify(prompt)}`).toEqual({
          text: raw.detokenize(raw.model.tokenize(prompt), expected.tokens),
          tokens: expected.tokens.length,
        });
        expect(dropLeadingSpace(got.text)).toBe(dropLeadingSpace(expected.text));
      }
    }
  });

  it("applies repetition penalties as node-llama-cpp's sampler does, token for token, in both modes", async () => {
    const penalties = { penalty: 1.5, frequencyPenalty: 1.5, presencePenalty: 1 };
    let changed = 0;
    for (const prompt of m.prompts) {
      const plain = await raw.greedy(prompt, NEW_TOKENS);
      const expected = await raw.greedy(prompt, NEW_TOKENS, penalties);
      if (expected.tokens.join() !== plain.tokens.join()) changed++;
      for (const [mode, engine] of engines) {
        const got = await run(engine, {
          prompt,
          maxTokens: NEW_TOKENS,
          temperature: 0,
          repeatPenalty: penalties.penalty,
          frequencyPenalty: penalties.frequencyPenalty,
          presencePenalty: penalties.presencePenalty,
        });
        expect(got, `${mode}: ${JSON.stringify(prompt)}`).toEqual({
          text: expected.text,
          tokens: expected.tokens.length,
        });
      }
    }
    // The penalties changed what greedy decoding chose, so the comparison above tests them.
    expect(changed).toBeGreaterThan(0);
  });

  it("reports logprobs and confidence as node-llama-cpp's whole distribution gives them, in both modes", async () => {
    // Greedy decoding keeps the whole vocabulary as candidates. The reference reads node-llama-cpp's
    // full, sorted probability list; Sluice asks the patched addon for the top few only, and for the
    // chosen token's probability without any sort. Both must report the same numbers.
    const TOP = 5;
    const text = (t: Token) => raw.model.detokenize([t], true);
    // A probability that underflows to 0 is reported as -9999, as the API documents.
    const logprob = (p: number) => (p > 0 ? Math.max(-9999, Math.log(p)) : -9999);
    for (const prompt of m.prompts) {
      const expected = await raw.greedy(prompt, NEW_TOKENS);
      const geometricMean = Math.exp(
        expected.steps.reduce((sum, s) => sum + Math.log(s.p1), 0) / expected.steps.length,
      );
      for (const [mode, engine] of engines) {
        const logprobs: TokenLogprob[] = [];
        let confidence: ConfidenceStats | undefined;
        for await (const e of engine.generate({
          prompt,
          maxTokens: NEW_TOKENS,
          temperature: 0,
          logprobs: TOP,
          confidence: true,
        }) as AsyncIterable<GenerateEvent>) {
          if (e.type === "token") logprobs.push(...(e.logprobs ?? []));
          if (e.type === "done") confidence = e.stats.confidence;
        }
        const where = `${mode}: ${JSON.stringify(prompt)}`;
        expect(
          logprobs.map((l) => l.token),
          where,
        ).toEqual(expected.tokens.map(text));
        for (const [i, step] of expected.steps.entries()) {
          const got = logprobs[i] as TokenLogprob;
          expect(got.logprob, `${where} step ${i}`).toBeCloseTo(logprob(step.p1), 4);
          expect(
            got.top.map((t) => t.token),
            `${where} step ${i}`,
          ).toEqual(step.top.slice(0, TOP).map(([t]) => text(t)));
          for (const [j, [, p]] of step.top.slice(0, TOP).entries())
            expect(got.top[j]?.logprob, `${where} step ${i} alternative ${j}`).toBeCloseTo(logprob(p), 4);
        }
        expect(confidence?.score, where).toBeCloseTo(geometricMean, 5);
        expect(confidence?.minProb, where).toBeCloseTo(Math.min(...expected.steps.map((s) => s.p1)), 5);
      }
    }
  });

  it("answers chats as LlamaChat does with the model's template, token for token, in both modes", async () => {
    for (const prompt of m.prompts) {
      const messages = [{ role: "user" as const, content: prompt }];
      const expected = await raw.chat(messages, NEW_TOKENS);
      for (const [mode, engine] of engines) {
        const got = await run(engine, { messages, maxTokens: NEW_TOKENS, temperature: 0 });
        expect(got.tokens, `${mode}: ${JSON.stringify(prompt)}`).toBe(expected.tokens.length);
        // LlamaChat, like LlamaCompletion, drops the first word's leading space.
        expect(dropLeadingSpace(got.text), `${mode}: ${JSON.stringify(prompt)}`).toBe(
          dropLeadingSpace(expected.text),
        );
      }
    }
  });

  it("embeds as node-llama-cpp's embedding context does, to 1e-6 alone and up to batch rounding twenty in one call, in both modes", async () => {
    // Twenty texts: more than one embedding decode takes (EMBED_BATCH_SEQUENCES), so the call is packed in groups.
    const texts = [...m.prompts, ...sixteen(m.prompts)];
    const expected: Array<readonly number[]> = [];
    for (const text of texts) expected.push(await raw.embed(text));
    for (const [mode, engine] of engines) {
      for (const [i, text] of m.prompts.entries()) {
        const [got] = await engine.embed([text]);
        const want = expected[i] as readonly number[];
        expect(got?.length, mode).toBe(want.length);
        const worst = Math.max(...want.map((x, k) => Math.abs(x - (got?.[k] ?? Number.NaN))));
        expect(worst, `${mode}: ${JSON.stringify(text)}`).toBeLessThanOrEqual(1e-6);
      }
      expect(batchedEmbeddingFaults(await engine.embed(texts), expected), mode).toEqual([]);
    }
  });

  it("gives the solo answer on a sequence reused after an abort, an early stop and a stop string", async () => {
    const [first, second] = m.prompts as [string, string];
    const reference = raw.detokenize(
      raw.model.tokenize(second),
      (await raw.completion(second, NEW_TOKENS)).tokens,
    );
    for (const [mode, engine] of engines) {
      const params = { prompt: first, maxTokens: 200, temperature: 0 };
      // Abort after two tokens.
      const controller = new AbortController();
      let seen = 0;
      const aborted = await (async () => {
        for await (const e of engine.generate(params, controller.signal))
          if (e.type === "token" && ++seen === 2) controller.abort();
      })().catch((error: unknown) => error);
      expect(aborted, mode).toMatchObject({ code: "ABORTED" });
      expect((await run(engine, { prompt: second, maxTokens: NEW_TOKENS, temperature: 0 })).text, mode).toBe(
        reference,
      );
      // The consumer stops reading after one token.
      for await (const e of engine.generate(params)) if (e.type === "token") break;
      expect((await run(engine, { prompt: second, maxTokens: NEW_TOKENS, temperature: 0 })).text, mode).toBe(
        reference,
      );
      // A stop string ends the first request early.
      const free = (await run(engine, { prompt: first, maxTokens: 16, temperature: 0 })).text;
      await run(engine, { ...params, stop: [free.slice(3, 6)] });
      expect((await run(engine, { prompt: second, maxTokens: NEW_TOKENS, temperature: 0 })).text, mode).toBe(
        reference,
      );
      expect(engine.busySequences(), mode).toBe(0);
    }
  });
});
