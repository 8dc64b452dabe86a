import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { alignUp, encodeHeader, typeLayout } from "./ggufWriter.ts";
import { type ModelPlan, type Pooling, type PresetName, planModel, type WeightType } from "./presets.ts";
import { fillTensorChunk } from "./quant.ts";
import { RandomStream } from "./random.ts";

export interface SynthOptions {
  preset: PresetName;
  /** Destination file. Written through a temp file in the same directory, then renamed. */
  out: string;
  /** Type of the weight matrices (norms and the conv kernel stay F32). Defaults to `"q8_0"`. */
  type?: WeightType;
  /** Seed of the weights. Defaults to `0`. */
  seed?: number;
  /** Context length written to the metadata. Defaults to the preset's. */
  ctx?: number;
  /** Pooling type for embeddings. Defaults to `"none"` (no key: llama.cpp uses the last token). */
  pooling?: Pooling;
  /** Called with bytes written and the total, at most every 4 MB. */
  onProgress?: (written: number, total: number) => void;
}

export interface SynthResult {
  path: string;
  bytes: number;
  sha256: string;
  params: number;
}

/** Bytes of tensor data drawn per write; bounds memory whatever the model size. */
const CHUNK_BYTES = 4 << 20;

/**
 * Writes a synthetic GGUF model. Same preset, type, seed, ctx and pooling give
 * a byte-identical file. On any error no file is left at `out`.
 */
export async function writeSynthModel(options: SynthOptions): Promise<SynthResult> {
  const type = options.type ?? "q8_0";
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed ${seed} must be a non-negative integer`);
  const plan = planModel(options.preset, { type, ctx: options.ctx, pooling: options.pooling });
  return writePlannedModel(plan, { out: options.out, seed, onProgress: options.onProgress });
}

/**
 * Writes any planned model (an LFM2 text model, a vision projector) through a
 * temp file in the destination directory, then renames it. The weights of each
 * tensor are drawn from `seed` and the tensor's name.
 */
export async function writePlannedModel(
  plan: ModelPlan,
  options: { out: string; seed: number; onProgress?: (written: number, total: number) => void },
): Promise<SynthResult> {
  const seed = options.seed;
  const out = resolve(options.out);
  const dir = dirname(out);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new SynthError(`output directory ${dir} does not exist`);
  await access(dir, fsConstants.W_OK).catch(() => {
    throw new SynthError(`output directory ${dir} is not writable`);
  });

  const { header, offsets, sizes, dataBytes } = encodeHeader(plan.metadata, plan.tensors);
  const total = header.length + dataBytes;
  const tmp = join(dir, `.${basename(out)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const hash = createHash("sha256");
  const file = await open(tmp, "wx", 0o644);
  let written = 0;
  let lastReport = 0;
  const emit = async (buf: Buffer): Promise<void> => {
    hash.update(buf);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await file.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    written += buf.length;
    if (options.onProgress && (written - lastReport >= CHUNK_BYTES || written === total)) {
      lastReport = written;
      options.onProgress(written, total);
    }
  };
  try {
    await emit(header);
    let cursor = 0;
    const scratch = Buffer.alloc(CHUNK_BYTES + 64);
    for (let t = 0; t < plan.tensors.length; t++) {
      const tensor = plan.tensors[t]!;
      const start = offsets[t]!;
      if (start > cursor) await emit(Buffer.alloc(start - cursor));
      const rng = new RandomStream(seed, tensor.name);
      const { blockBytes, blockElems } = typeLayout(tensor.type);
      const rowElems = tensor.dims[0]!;
      const rowBytes = (rowElems / blockElems) * blockBytes;
      const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
      const rows = sizes[t]! / rowBytes;
      for (let r = 0; r < rows; r += rowsPerChunk) {
        const n = Math.min(rowsPerChunk, rows - r);
        const chunk =
          n * rowBytes <= scratch.length ? scratch.subarray(0, n * rowBytes) : Buffer.alloc(n * rowBytes);
        fillTensorChunk(chunk, tensor.type, n * rowElems, rng, tensor.init);
        await emit(chunk);
      }
      cursor = start + sizes[t]!;
    }
    if (alignUp(cursor) !== cursor && cursor < dataBytes) await emit(Buffer.alloc(dataBytes - cursor));
    await file.sync();
    await file.close();
    await rename(tmp, out);
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
  return { path: out, bytes: written, sha256: hash.digest("hex"), params: plan.params };
}

/** A synthesis failure a user can act on (bad path, bad option); the CLI prints its message. */
export class SynthError extends Error {
  readonly code = "INVALID_INPUT";
  constructor(message: string) {
    super(message);
    this.name = "SynthError";
  }
}
