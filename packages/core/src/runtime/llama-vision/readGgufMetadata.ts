import { open } from "node:fs/promises";
import { ModelCorruptError, ModelNotFoundError } from "../../errors/index.ts";

const GGUF_MAGIC = 0x46554747;
/** Bytes the metadata section may occupy; real vocabularies take a few MiB. */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
const SCALAR_SIZE: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

/** Scalar metadata of a GGUF file (arrays are skipped): what the vision adapter checks before a native load. */
export type GgufScalars = Map<string, number | boolean | string>;

/**
 * Reads the scalar key/value pairs of a GGUF header, bounded in bytes and in
 * every count, without touching tensor data. Throws MODEL_NOT_FOUND or
 * MODEL_CORRUPT; structural validation of the whole file is the store's job.
 */
export async function readGgufMetadata(path: string): Promise<GgufScalars> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new ModelNotFoundError(`no model file at ${path}`, { cause: error, details: { path } });
  }
  const corrupt = (reason: string): ModelCorruptError =>
    new ModelCorruptError(`${path}: ${reason}`, { details: { path, reason } });
  try {
    const fileSize = (await handle.stat()).size;
    let buf = Buffer.alloc(0);
    let pos = 0;
    const need = async (n: number): Promise<void> => {
      if (pos + n <= buf.length) return;
      const want = Math.min(fileSize, MAX_METADATA_BYTES, Math.max(pos + n, buf.length * 4, 1 << 20));
      if (pos + n > want)
        throw corrupt(pos + n > fileSize ? "metadata runs past the end of the file" : "metadata too large");
      const next = Buffer.alloc(want);
      buf.copy(next);
      await handle.read(next, buf.length, want - buf.length, buf.length);
      buf = next;
    };
    const u32 = async (): Promise<number> => {
      await need(4);
      pos += 4;
      return buf.readUInt32LE(pos - 4);
    };
    const u64 = async (): Promise<number> => {
      await need(8);
      pos += 8;
      const v = buf.readBigUInt64LE(pos - 8);
      if (v > BigInt(MAX_METADATA_BYTES)) throw corrupt("a count or length is out of bounds");
      return Number(v);
    };
    const str = async (): Promise<string> => {
      const n = await u64();
      await need(n);
      pos += n;
      return buf.toString("utf8", pos - n, pos);
    };
    if ((await u32()) !== GGUF_MAGIC) throw corrupt("not a GGUF file");
    const version = await u32();
    if (version !== 2 && version !== 3) throw corrupt(`unsupported GGUF version ${version}`);
    await u64(); // tensor count
    const kvCount = await u64();
    const out: GgufScalars = new Map();
    for (let i = 0; i < kvCount; i++) {
      const key = await str();
      const type = await u32();
      if (type === 8) out.set(key, await str());
      else if (type === 9) {
        const elementType = await u32();
        const length = await u64();
        if (elementType === 8) for (let j = 0; j < length; j++) await str();
        else {
          const size = SCALAR_SIZE[elementType];
          if (size === undefined) throw corrupt(`array of unknown type ${elementType} at ${key}`);
          await need(size * length);
          pos += size * length;
        }
      } else {
        const size = SCALAR_SIZE[type];
        if (size === undefined) throw corrupt(`unknown value type ${type} at ${key}`);
        await need(size);
        out.set(key, readScalar(buf, pos, type));
        pos += size;
      }
    }
    return out;
  } finally {
    await handle.close();
  }
}

function readScalar(buf: Buffer, pos: number, type: number): number | boolean {
  switch (type) {
    case 0:
      return buf.readUInt8(pos);
    case 1:
      return buf.readInt8(pos);
    case 2:
      return buf.readUInt16LE(pos);
    case 3:
      return buf.readInt16LE(pos);
    case 4:
      return buf.readUInt32LE(pos);
    case 5:
      return buf.readInt32LE(pos);
    case 6:
      return buf.readFloatLE(pos);
    case 7:
      return buf[pos] !== 0;
    case 10:
      return Number(buf.readBigUInt64LE(pos));
    case 11:
      return Number(buf.readBigInt64LE(pos));
    default:
      return buf.readDoubleLE(pos);
  }
}
