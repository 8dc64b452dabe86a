// Options are checked before anything loads, and request limits before any
// queueing or model work; both through createSluice, the path users take.
import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatRequest,
  createSluice,
  type GenerateRequest,
  type Sluice,
  type SluiceOptions,
} from "../src/index.ts";

let path: string;
let sluice: Sluice;

beforeAll(async () => {
  path = await ensureSynthModel({ preset: "lfm2-tiny" });
  sluice = await createSluice({
    models: [
      {
        id: "tiny",
        source: path,
        contextSize: 256,
        sequences: 2,
        threads: 1,
        preload: true,
        synthetic: true,
      },
    ],
    limits: { maxTokens: 16, defaultMaxTokens: 3, maxInputChars: 40, maxEmbeddingInputs: 2 },
  });
});
afterAll(() => sluice?.close());

describe("createSluice refuses bad options with a RangeError naming the field", () => {
  const model = (id = "tiny") => ({ id, source: "/nonexistent/never-loaded.gguf" });
  it.each<[string, () => SluiceOptions, string]>([
    ["no models", () => ({ models: [] }), "models must list at least one model"],
    ["a model id with a slash", () => ({ models: [model("a/b")] }), "models[].id must match"],
    [
      "the same id twice",
      () => ({ models: [model(), model()] }),
      "models[].id must be unique, got tiny twice",
    ],
    [
      "a default model that is not configured",
      () => ({ models: [model()], defaultModel: "other" }),
      "defaultModel must name a configured model, got other",
    ],
    ["a negative queue", () => ({ models: [model()], limits: { maxQueue: -1 } }), "limits.maxQueue must be"],
    [
      "a fractional timeout",
      () => ({ models: [model()], limits: { requestTimeoutMs: 1.5 } }),
      "limits.requestTimeoutMs",
    ],
    [
      "a token limit of 0",
      () => ({ models: [model()], limits: { maxTokens: 0 } }),
      "limits.maxTokens must be an integer >= 1",
    ],
    [
      "a default token limit above the limit",
      () => ({ models: [model()], limits: { maxTokens: 8, defaultMaxTokens: 9 } }),
      "limits.defaultMaxTokens must be at most limits.maxTokens (8), got 9",
    ],
  ])("%s", async (_, options, message) => {
    const err = await createSluice(options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toContain(message);
  });
});

describe("request limits", () => {
  it("fills in the default token limit when a request sets none", async () => {
    const r = await sluice.complete({ prompt: "hello", temperature: 0 });
    // lfm2-tiny's greedy answer to "hello" runs on: only the limit stops it.
    expect(r.stats.generatedTokens).toBe(3);
    expect(r.stats.finishReason).toBe("length");
  });

  it.each<[string, GenerateRequest | ChatRequest, string, string]>([
    ["maxTokens over the limit", { prompt: "hi", maxTokens: 17 }, "maxTokens", "must be at most 16"],
    ["a prompt over the limit", { prompt: "x".repeat(41) }, "prompt", "must be at most 40 characters"],
    [
      "a conversation over the limit, counted across messages",
      {
        messages: [
          { role: "system" as const, content: "y".repeat(20) },
          { role: "user" as const, content: "z".repeat(21) },
        ],
      },
      "messages",
      "must be at most 40 characters",
    ],
    [
      "text parts count as text",
      { messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "w".repeat(41) }] }] },
      "messages",
      "must be at most 40 characters",
    ],
  ])("refuses %s with INVALID_INPUT naming the field", async (_, request, field, message) => {
    const call = "messages" in request ? sluice.chat(request) : sluice.complete(request);
    const err = await call.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_INPUT", details: { field } });
    expect((err as Error).message).toContain(message);
  });

  it("refuses too many embedding texts, or one too long, naming the field", async () => {
    await expect(sluice.embed({ texts: ["a", "b", "c"] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      details: { field: "texts", count: 3, limit: 2 },
    });
    await expect(sluice.embed({ texts: ["a", "v".repeat(41)] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      details: { field: "texts[1]", chars: 41, limit: 40 },
    });
    expect((await sluice.embed({ texts: ["a", "b"] })).vectors).toHaveLength(2);
  });

  it("reconfigure applies valid limits to the next request and leaves everything as it was on a bad value", async () => {
    expect(sluice.reconfigure({ limits: { maxInputChars: 50 } })).toEqual(["limits.maxInputChars"]);
    expect(sluice.limits.maxInputChars).toBe(50);
    expect((await sluice.complete({ prompt: "x".repeat(45), maxTokens: 1 })).stats.generatedTokens).toBe(1);

    expect(() => sluice.reconfigure({ limits: { maxInputChars: 10, maxTokens: 0 } })).toThrow(
      "limits.maxTokens must be an integer >= 1",
    );
    expect(() => sluice.reconfigure({ limits: { maxInputChars: 10 }, cacheTtlMs: { results: -1 } })).toThrow(
      "cache results ttlMs must be a non-negative integer",
    );
    expect(() => sluice.reconfigure({ cascadeThresholds: { tiny: 0.5 } })).toThrow(
      "cascadeThresholds need a cascade",
    );
    expect(sluice.limits).toMatchObject({ maxInputChars: 50, maxTokens: 16, defaultMaxTokens: 3 });
    expect(sluice.reconfigure({ limits: { maxInputChars: 40 } })).toEqual(["limits.maxInputChars"]);
  });
});
