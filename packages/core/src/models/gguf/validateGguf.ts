import { open } from "node:fs/promises";
import { isSluiceError, ModelCorruptError, ModelNotFoundError } from "../../errors/index.ts";
import { checkArchitecture, type GgufExpectedKind } from "./checkArchitecture.ts";
import { corrupt, type GgufHeader, NeedMoreBytes, parseGgufHeader } from "./parseGguf.ts";

export interface GgufValidationOptions {
  /**
   * What the file is to be loaded as: `"model"` refuses projector (clip)
   * files, `"projector"` accepts nothing else. Defaults to `undefined` (either).
   */
  expect?: GgufExpectedKind;
  /** Most bytes the header (metadata and tensor infos) may occupy. Defaults to `64 MiB`. */
  maxHeaderBytes?: number;
  /** Bytes read first; the window grows 4× while the header needs more. Defaults to `1 MiB`. */
  initialReadBytes?: number;
}

/** What validation learned about a structurally sound GGUF file. */
export interface GgufFileSummary {
  architecture: string;
  version: number;
  fileSize: number;
  alignment: number;
  tensorCount: number;
  metadataCount: number;
  dataOffset: number;
  dataSize: number;
  headerBytes: number;
  /** `general.name`, when the file has one. */
  name?: string;
  /** `general.file_type`, when the file has one. */
  fileType?: number;
}

const DEFAULT_MAX_HEADER = 64 * 1024 * 1024;
const DEFAULT_INITIAL_READ = 1024 * 1024;

function summarise(header: GgufHeader, architecture: string): GgufFileSummary {
  const name = header.metadata.get("general.name")?.value;
  const fileType = header.metadata.get("general.file_type")?.value;
  return {
    architecture,
    version: header.version,
    fileSize: header.fileSize,
    alignment: header.alignment,
    tensorCount: header.tensors.length,
    metadataCount: header.metadata.size,
    dataOffset: header.dataOffset,
    dataSize: header.dataSize,
    headerBytes: header.headerBytes,
    ...(typeof name === "string" ? { name } : {}),
    ...(typeof fileType === "number" ? { fileType } : {}),
  };
}

/**
 * Validates a whole GGUF file held in memory (tests, fuzzing, small files).
 * Throws MODEL_CORRUPT or MODEL_UNSUPPORTED with the reason in `details.reason`.
 */
export function validateGgufBuffer(bytes: Uint8Array, options: GgufValidationOptions = {}): GgufFileSummary {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
  let header: GgufHeader;
  try {
    header = parseGgufHeader({ bytes, fileSize: bytes.length, maxHeaderBytes });
  } catch (err) {
    if (err instanceof NeedMoreBytes) throw corrupt("header runs past the end of the file");
    throw err;
  }
  return summarise(header, checkArchitecture(header, options.expect));
}

/**
 * Validates a GGUF file on disk before any native code sees it: magic,
 * version, every count, length, string and array within the file, tensor
 * offsets contiguous, aligned and inside the file, ggml types known, the
 * architecture supported by the bundled llama.cpp, and the tensors it needs.
 * Reads only the header (never tensor data): at most `maxHeaderBytes`.
 */
export async function validateGgufFile(
  path: string,
  options: GgufValidationOptions = {},
): Promise<GgufFileSummary> {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ModelNotFoundError(`no model file at ${path}`, { cause: err });
    throw new ModelCorruptError(`cannot read ${path}: ${code ?? String(err)}`, {
      cause: err,
      details: { path },
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw corrupt("not a regular file", { path });
    const fileSize = stat.size;
    let window = new Uint8Array(0);
    let want = Math.min(fileSize, options.initialReadBytes ?? DEFAULT_INITIAL_READ, maxHeaderBytes);
    for (;;) {
      if (want > window.length) {
        const next = new Uint8Array(want);
        next.set(window);
        const { bytesRead } = await handle.read(next, window.length, want - window.length, window.length);
        if (window.length + bytesRead !== want) throw corrupt("file shrank while it was read", { path });
        window = next;
      }
      try {
        const header = parseGgufHeader({ bytes: window, fileSize, maxHeaderBytes });
        return summarise(header, checkArchitecture(header, options.expect));
      } catch (err) {
        if (!(err instanceof NeedMoreBytes)) throw err;
        want = Math.min(fileSize, maxHeaderBytes, Math.max(err.upTo, window.length * 4));
      }
    }
  } catch (err) {
    if (isSluiceError(err) && err.details.path === undefined) err.details.path = path;
    throw err;
  } finally {
    await handle.close();
  }
}
