import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isToolCallSyntaxError, ToolCallSyntaxError } from "./errors.ts";
import { LFM2_TOOL_MARKERS, parseToolCalls, renderToolCalls } from "./lfm2Syntax.ts";

/** The markup between the call markers of a rendered list. */
function inner(rendered: string): string {
  return rendered.slice(LFM2_TOOL_MARKERS.callStart.length, -LFM2_TOOL_MARKERS.callEnd.length);
}

describe("parseToolCalls on LFM2's tool-call syntax", () => {
  it("reads one call with a string keyword argument", () => {
    expect(parseToolCalls('[get_weather(city="Paris")]')).toEqual([
      { name: "get_weather", arguments: { city: "Paris" } },
    ]);
  });

  it("reads several calls in one list, with Python literals and spacing", () => {
    expect(
      parseToolCalls(
        " [ get_weather(city='Paris', days=3) , f(x=1, ok=True, none=None, r=-2.5e1), noop() ] ",
      ),
    ).toEqual([
      { name: "get_weather", arguments: { city: "Paris", days: 3 } },
      { name: "f", arguments: { x: 1, ok: true, none: null, r: -25 } },
      { name: "noop", arguments: {} },
    ]);
  });

  it("reads nested lists, tuples and dictionaries, and JSON literals", () => {
    expect(
      parseToolCalls('[plan(stops=["a", "b"], opts={"deep": {"k": [1, (2, 3)], "on": false}}, n=null)]'),
    ).toEqual([
      {
        name: "plan",
        arguments: { stops: ["a", "b"], opts: { deep: { k: [1, [2, 3]], on: false } }, n: null },
      },
    ]);
  });

  it("accepts a single call without brackets and decodes string escapes", () => {
    expect(parseToolCalls('say(text="line\\none \\"q\\" \\u00e9")')).toEqual([
      { name: "say", arguments: { text: 'line\none "q" é' } },
    ]);
  });

  it("keeps a __proto__ key as data", () => {
    const [call] = parseToolCalls('[f(d={"__proto__": {"x": 1}})]');
    const d = call?.arguments.d as Record<string, unknown>;
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(Object.keys(d)).toEqual(["__proto__"]);
  });

  it.each([
    ["an empty list", "[]"],
    ["an unterminated string", '[f(a="x)]'],
    ["a missing parenthesis", "[f(a=1]"],
    ["a positional argument", "[f(1)]"],
    ["a repeated argument", "[f(a=1, a=2)]"],
    ["an unknown bare word", "[f(a=maybe)]"],
    ["text after the list", "[f()] and more"],
    ["a missing comma between calls", "[f() g()]"],
    ["a non-string dictionary key", "[f(a={1: 2})]"],
    ["a bad escape", '[f(a="\\q")]'],
    ["nothing at all", ""],
    ["JSON instead of a call", '{"name": "f", "arguments": {}}'],
  ])("refuses %s with a typed error", (_, source) => {
    let caught: unknown;
    try {
      parseToolCalls(source);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ToolCallSyntaxError);
    expect(isToolCallSyntaxError(caught)).toBe(true);
    expect((caught as ToolCallSyntaxError).code).toBe("INFERENCE_FAILED");
    expect(typeof (caught as ToolCallSyntaxError).details.offset).toBe("number");
  });

  it("never throws anything but ToolCallSyntaxError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 60 }), (source) => {
        try {
          parseToolCalls(source);
        } catch (err) {
          expect(isToolCallSyntaxError(err)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("parses back exactly what renderToolCalls writes (render → parse round trip)", () => {
    const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
    const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const call = fc.record({
      name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/),
      arguments: fc.dictionary(identifier, value, { maxKeys: 5 }),
    });
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 4 }), (calls) => {
        const rendered = renderToolCalls(calls);
        expect(rendered.startsWith(LFM2_TOOL_MARKERS.callStart)).toBe(true);
        expect(parseToolCalls(inner(rendered))).toEqual(calls);
      }),
      { numRuns: 300 },
    );
  });
});
