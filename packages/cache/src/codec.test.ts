import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decodeValue, encodeValue, type JsonValue } from "./codec.ts";

describe("codec", () => {
  it("round-trips Float32 vectors bit for bit, including odd lengths and subarrays", () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 300 }), fc.nat(3), (values, skip) => {
        const view = values.subarray(Math.min(skip, values.length));
        const decoded = decodeValue(encodeValue(view));
        expect(decoded).toBeInstanceOf(Float32Array);
        expect(Buffer.from((decoded as Float32Array).buffer)).toEqual(
          Buffer.from(view.buffer, view.byteOffset, view.byteLength),
        );
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("round-trips JSON results", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(decodeValue(encodeValue(value as JsonValue))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it("returns a fresh vector, so mutating a result leaves the stored bytes alone", () => {
    const bytes = encodeValue(new Float32Array([1, 2, 3]));
    const first = decodeValue(bytes) as Float32Array;
    first[0] = 99;
    expect(Array.from(decodeValue(bytes) as Float32Array)).toEqual([1, 2, 3]);
  });

  it("rejects bytes of an unknown version, tag or shape with CodecError", () => {
    expect(() => decodeValue(Uint8Array.of(9, 1))).toThrow(CodecError);
    expect(() => decodeValue(Uint8Array.of(1, 7))).toThrow(CodecError);
    expect(() => decodeValue(Uint8Array.of(1, 1, 0, 0, 0))).toThrow(CodecError);
    expect(() => decodeValue(Uint8Array.of(1, 2, 0x7b))).toThrow(CodecError);
    expect(() => decodeValue(new Uint8Array(0))).toThrow(CodecError);
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => encodeValue(undefined as unknown as JsonValue)).toThrow(TypeError);
  });
});
