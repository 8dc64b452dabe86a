// The request validator every path shares (SDK, tRPC, OpenAI routes, runners):
// each kind of bad input gets INVALID_INPUT naming its field, with a value
// that is safe to log, and nothing valid is refused.
import { describe, expect, it } from "vitest";
import {
  type GenerateParams,
  isSluiceError,
  MAX_EMBED_TEXTS,
  MAX_STOP_STRINGS,
  validateEmbedTexts,
  validateGenerateParams,
} from "../../src/index.ts";

function refusal(run: () => void): { field: unknown; value: unknown; message: string } {
  try {
    run();
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    expect(err.code).toBe("INVALID_INPUT");
    const details = err.details as { field: unknown; value: unknown };
    return { field: details.field, value: details.value, message: err.message };
  }
  throw new Error("accepted");
}

const chat = (extra: Partial<GenerateParams> = {}): GenerateParams => ({
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});
const tool = (name: string) => ({ name, description: "d", parameters: { type: "object" } });
const as = (v: unknown) => v as never;

describe("validateGenerateParams", () => {
  it.each<[string, unknown, string, string]>([
    ["a non-object", "hello", "params", "must be an object"],
    ["neither prompt nor messages", {}, "params", "need exactly one of prompt and messages"],
    ["both prompt and messages", { prompt: "a", messages: chat().messages }, "params", "need exactly one"],
    ["a non-string prompt", { prompt: 5 }, "prompt", "must be a string"],
    ["a blank prompt", { prompt: " \n\t" }, "prompt", "must not be empty"],
    ["messages that are not an array", { messages: "hi" }, "messages", "must be a non-empty array"],
    ["no messages", { messages: [] }, "messages", "must be a non-empty array"],
    ["a null message", { messages: [null] }, "messages[0]", "must be an object"],
    [
      "an unknown role",
      { messages: [{ role: "robot", content: "x" }] },
      "messages[0].role",
      "must be system",
    ],
    [
      "a blank user turn",
      { messages: [{ role: "user", content: "  " }] },
      "messages[0].content",
      "must not be empty",
    ],
    [
      "content of another type",
      { messages: [{ role: "user", content: 7 }] },
      "messages[0].content",
      "must not be empty",
    ],
    [
      "no content parts",
      { messages: [{ role: "user", content: [] }] },
      "messages[0].content",
      "must not be empty",
    ],
    [
      "only blank assistant turns",
      { messages: [{ role: "assistant", content: " " }] },
      "messages",
      "must not all be blank",
    ],
    [
      "tool calls on a user turn",
      { messages: [{ role: "user", content: "x", toolCalls: [] }] },
      "messages[0].toolCalls",
      "are only allowed on assistant messages",
    ],
    [
      "tool calls that are not an array",
      {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "", toolCalls: {} },
        ],
      },
      "messages[1].toolCalls",
      "must be an array of at most 128 calls",
    ],
    [
      "a null tool call",
      {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "", toolCalls: [null] },
        ],
      },
      "messages[1].toolCalls[0]",
      "must be an object",
    ],
    [
      "a tool call with a bad name",
      {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "", toolCalls: [{ name: "rm -rf", arguments: {} }] },
        ],
      },
      "messages[1].toolCalls[0].name",
      "must be 1 to 64 letters",
    ],
    [
      "tool call arguments that are an array",
      {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "", toolCalls: [{ name: "f", arguments: [] }] },
        ],
      },
      "messages[1].toolCalls[0].arguments",
      "must be an object",
    ],
    ["maxTokens of 0", chat({ maxTokens: 0 }), "maxTokens", "must be between 1 and"],
    ["fractional maxTokens", chat({ maxTokens: 1.5 }), "maxTokens", "must be an integer"],
    ["a temperature of NaN", chat({ temperature: Number.NaN }), "temperature", "must be a finite number"],
    ["a string temperature", chat({ temperature: as("1") }), "temperature", "must be a finite number"],
    ["a temperature above 2", chat({ temperature: 2.5 }), "temperature", "must be between 0 and 2"],
    ["topP of 0", chat({ topP: 0 }), "topP", "must be greater than 0"],
    ["topP above 1", chat({ topP: 1.1 }), "topP", "must be between 0 and 1"],
    ["a negative topK", chat({ topK: -1 }), "topK", "must be between"],
    ["a seed above 32 bits", chat({ seed: 2 ** 32 }), "seed", "must be between"],
    ["repeatPenalty of 0", chat({ repeatPenalty: 0 }), "repeatPenalty", "must be greater than 0"],
    ["stop that is a string", chat({ stop: as("\n") }), "stop", "must be an array of strings"],
    [
      "too many stop strings",
      chat({ stop: Array.from({ length: MAX_STOP_STRINGS + 1 }, (_, i) => `s${i}`) }),
      "stop",
      `has more than ${MAX_STOP_STRINGS} entries`,
    ],
    ["an empty stop string", chat({ stop: ["a", ""] }), "stop[1]", "must be a string of 1 to 256"],
    ["a stop string too long", chat({ stop: ["x".repeat(257)] }), "stop[0]", "must be a string of 1 to 256"],
    ["a non-boolean keepState", chat({ keepState: as("yes") }), "keepState", "must be a boolean"],
    ["a non-boolean confidence", chat({ confidence: as(1) }), "confidence", "must be a boolean"],
    ["logprobs above 20", chat({ logprobs: 21 }), "logprobs", "must be between 0 and 20"],
    [
      "a frequency penalty below -2",
      chat({ frequencyPenalty: -3 }),
      "frequencyPenalty",
      "must be between -2 and 2",
    ],
    [
      "a presence penalty above 2",
      chat({ presencePenalty: 3 }),
      "presencePenalty",
      "must be between -2 and 2",
    ],
    ["tools with a prompt", { prompt: "x", tools: [tool("f")] }, "tools", "need chat messages, not a prompt"],
    [
      "tools that are not an array",
      chat({ tools: as({}) }),
      "tools",
      "must be an array of at most 128 tools",
    ],
    [
      "too many tools",
      chat({ tools: Array.from({ length: 129 }, (_, i) => tool(`f${i}`)) }),
      "tools",
      "at most 128",
    ],
    ["a null tool", chat({ tools: as([null]) }), "tools[0]", "must be an object"],
    ["a tool with a bad name", chat({ tools: [tool("a b")] }), "tools[0].name", "must be 1 to 64 letters"],
    ["a tool defined twice", chat({ tools: [tool("f"), tool("f")] }), "tools[1].name", "is defined twice"],
    [
      "tool parameters that are not an object",
      chat({ tools: [{ name: "f", parameters: as("x") }] }),
      "tools[0].parameters",
      "must be a JSON schema object",
    ],
    [
      "an unknown toolChoice",
      chat({ toolChoice: as("maybe") }),
      "toolChoice",
      "must be none, auto, required",
    ],
    ["required with no tools", chat({ toolChoice: "required" }), "toolChoice", "needs tools to choose from"],
    [
      "a named choice that is not a tool",
      chat({ tools: [tool("f")], toolChoice: { name: "g" } }),
      "toolChoice",
      "names a function that is not among the tools",
    ],
    [
      "a forced call with a JSON schema",
      chat({ tools: [tool("f")], toolChoice: "required", jsonSchema: { type: "object" } }),
      "toolChoice",
      "can not force a call and a JSON schema at once",
    ],
  ])("refuses %s", (_, params, field, message) => {
    const r = refusal(() => validateGenerateParams(params as GenerateParams));
    expect(r.field).toBe(field);
    expect(r.message).toContain(message);
  });

  it("reports a value that is safe to log: long strings cut, objects named by type", () => {
    expect(refusal(() => validateGenerateParams({ prompt: " ".repeat(100) })).value).toBe(
      `${" ".repeat(64)}…`,
    );
    expect(refusal(() => validateGenerateParams(chat({ temperature: as({ a: 1 }) }))).value).toBe("object");
    expect(refusal(() => validateGenerateParams(chat({ keepState: as(null) }))).value).toBeNull();
  });

  it("accepts every valid shape", () => {
    const valid: GenerateParams[] = [
      { prompt: "Once upon a time" },
      chat({
        maxTokens: 1,
        temperature: 0,
        topP: 1,
        topK: 0,
        seed: 0xffff_ffff,
        repeatPenalty: 2,
        stop: ["\n", "x".repeat(256)],
        keepState: false,
        confidence: true,
        logprobs: 20,
        frequencyPenalty: -2,
        presencePenalty: 2,
      }),
      // A blank assistant turn is history; an assistant turn that only calls tools has no text.
      {
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: [{ type: "text", text: "weather?" }] },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "call_1", name: "get.weather", arguments: { city: "Oslo" } }],
          },
          { role: "tool", content: '{"c":3}' },
          { role: "assistant", content: "  " },
          { role: "user", content: "thanks" },
        ],
        tools: [tool("get.weather")],
        toolChoice: { name: "get.weather" },
      },
      chat({ tools: [tool("f")], toolChoice: "auto", jsonSchema: { type: "object" } }),
      chat({ toolChoice: "none" }),
    ];
    for (const p of valid) expect(() => validateGenerateParams(p)).not.toThrow();
  });
});

describe("validateEmbedTexts", () => {
  it.each<[string, unknown, string]>([
    ["a string", "hello", "texts"],
    ["no texts", [], "texts"],
    ["too many texts", Array.from({ length: MAX_EMBED_TEXTS + 1 }, () => "t"), "texts"],
    ["a blank text", ["a", " "], "texts[1]"],
    ["a non-string text", ["a", 3], "texts[1]"],
  ])("refuses %s naming %s", (_, texts, field) => {
    expect(refusal(() => validateEmbedTexts(texts as string[])).field).toBe(field);
  });

  it("accepts up to the limit", () => {
    expect(() => validateEmbedTexts(Array.from({ length: MAX_EMBED_TEXTS }, () => "t"))).not.toThrow();
  });
});

describe("text that is not well-formed Unicode", () => {
  // Half a surrogate pair would reach the tokenizer as U+FFFD: refused, naming where it is.
  it.each<[string, () => void, string, number]>([
    [
      "a prompt with a lone high surrogate",
      () => validateGenerateParams({ prompt: "ab\uD800c" }),
      "prompt",
      2,
    ],
    [
      "a prompt ending in a high surrogate",
      () => validateGenerateParams({ prompt: "abc\uD83D" }),
      "prompt",
      3,
    ],
    [
      "a prompt with a lone low surrogate",
      () => validateGenerateParams({ prompt: "\uDE00abc" }),
      "prompt",
      0,
    ],
    [
      "a message",
      () => validateGenerateParams(chat({ messages: [{ role: "user", content: "hi \uDFFF" }] })),
      "messages[0].content",
      3,
    ],
    [
      "a message's text part",
      () =>
        validateGenerateParams(
          chat({ messages: [{ role: "user", content: [{ type: "text", text: "x\uD800" }] }] }),
        ),
      "messages[0].content[0].text",
      1,
    ],
    ["a stop string", () => validateGenerateParams({ prompt: "p", stop: ["ok", "\uDC00"] }), "stop[1]", 0],
    ["an embedding text", () => validateEmbedTexts(["fine", "bad \uD800"]), "texts[1]", 4],
  ])("refuses %s", (_, run, field, index) => {
    const { field: refused, value, message } = refusal(run);
    expect(refused).toBe(field);
    expect(value).toBe(index);
    expect(message).toContain("lone surrogate");
  });

  it("accepts surrogate pairs (emoji, astral characters) wherever they fall", () => {
    expect(() => validateGenerateParams({ prompt: "\uD83D\uDE00 grin 𝄞", stop: ["😀"] })).not.toThrow();
    expect(() => validateGenerateParams(chat({ messages: [{ role: "user", content: "🌊" }] }))).not.toThrow();
    expect(() => validateEmbedTexts(["𝄞 clef"])).not.toThrow();
  });
});
