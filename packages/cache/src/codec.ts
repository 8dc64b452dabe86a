import { endianness } from "node:os";

/** A JSON-compatible value: what a generation result may contain. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the cache stores: an embedding vector or a JSON-able generation result. */
export type CacheValue = Float32Array | JsonValue;

// Layout: [format version][tag][payload]. The version byte lets a future
// layout coexist with entries already on disk or in Redis: unknown versions
// decode as a miss, never as garbage.
const FORMAT_VERSION = 1;
const TAG_FLOAT32 = 1;
const TAG_JSON = 2;
const HEADER_BYTES = 2;
const LITTLE_ENDIAN = endianness() === "LE";

/** Raised inside the package when bytes do not decode; callers only ever see a miss. */
export class CodecError extends Error {
  override readonly name = "CodecError";
}

/**
 * Encodes a cache value to bytes. Float32 vectors are stored as raw
 * little-endian floats (no JSON round-trip, exact values); everything else as
 * UTF-8 JSON.
 *
 * @throws TypeError when the value is not JSON-serialisable.
 */
export function encodeValue(value: CacheValue): Uint8Array {
  if (value instanceof Float32Array) {
    const out = new Uint8Array(HEADER_BYTES + value.byteLength);
    out[0] = FORMAT_VERSION;
    out[1] = TAG_FLOAT32;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), HEADER_BYTES);
    } else {
      const view = new DataView(out.buffer, out.byteOffset + HEADER_BYTES);
      for (let i = 0; i < value.length; i++) view.setFloat32(i * 4, value[i]!, true);
    }
    return out;
  }
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("cache value is not JSON-serialisable");
  const body = Buffer.from(json, "utf8");
  const out = new Uint8Array(HEADER_BYTES + body.byteLength);
  out[0] = FORMAT_VERSION;
  out[1] = TAG_JSON;
  out.set(body, HEADER_BYTES);
  return out;
}

/**
 * Decodes bytes written by {@link encodeValue}. Always returns a fresh value,
 * so a caller that mutates it cannot corrupt the cache.
 *
 * @throws CodecError when the bytes are not a value of this format.
 */
export function decodeValue(bytes: Uint8Array): CacheValue {
  if (bytes.byteLength < HEADER_BYTES || bytes[0] !== FORMAT_VERSION) {
    throw new CodecError("unknown cache value format");
  }
  const start = bytes.byteOffset + HEADER_BYTES;
  const length = bytes.byteLength - HEADER_BYTES;
  if (bytes[1] === TAG_FLOAT32) {
    if (length % 4 !== 0) throw new CodecError("float32 payload is not a multiple of 4 bytes");
    if (LITTLE_ENDIAN) {
      // slice() copies into a new, aligned buffer.
      return new Float32Array(bytes.buffer.slice(start, start + length));
    }
    const view = new DataView(bytes.buffer, start, length);
    const out = new Float32Array(length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (bytes[1] === TAG_JSON) {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, start, length).toString("utf8")) as JsonValue;
    } catch (cause) {
      throw new CodecError("JSON payload does not parse", { cause });
    }
  }
  throw new CodecError(`unknown cache value tag ${bytes[1]}`);
}
