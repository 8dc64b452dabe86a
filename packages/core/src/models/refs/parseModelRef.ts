import { isAbsolute, normalize } from "node:path";
import { InvalidInputError, quoteInput } from "../../errors/index.ts";
import { MODEL_FILE_NAME_PATTERN, MODEL_ID_PATTERN } from "../catalog/schema.ts";

/** A model reference after syntax checks: a catalog id, an absolute local path, or a remote URI. */
export type ModelRef =
  | { kind: "id"; id: string }
  | { kind: "path"; path: string }
  | { kind: "uri"; uri: string; url: URL; hf?: HfFile };

export interface HfFile {
  owner: string;
  repo: string;
  /** Path of the file inside the repository, `/`-separated. */
  file: string;
  revision: string;
}

const segment = /^(?!\.\.?$)[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Base of `hf:` URIs: `hf:<owner>/<repo>/<path>.gguf[#revision]` → `<base>/<owner>/<repo>/resolve/<revision>/<path>`. */
export const HUGGING_FACE_BASE = "https://huggingface.co";

/** Parses `hf:<owner>/<repo>/<path>.gguf[#revision]`; INVALID_INPUT if malformed. */
export function parseHfUri(uri: string): HfFile {
  const body = uri.slice(3);
  const hash = body.indexOf("#");
  const path = hash === -1 ? body : body.slice(0, hash);
  const revision = hash === -1 ? "main" : body.slice(hash + 1);
  const parts = path.split("/");
  if (parts.length < 3 || !parts.every((p) => segment.test(p)) || !segment.test(revision)) {
    throw new InvalidInputError(
      `malformed hf: URI ${quoteInput(uri)}: expected hf:<owner>/<repo>/<file>.gguf`,
    );
  }
  const file = parts.slice(2).join("/");
  if (!file.endsWith(".gguf"))
    throw new InvalidInputError(`hf: URI ${quoteInput(uri)} must name a .gguf file`);
  if (/-\d{5}-of-\d{5}\.gguf$/.test(file)) {
    throw new InvalidInputError(`split GGUF files are not supported: ${quoteInput(uri)}`);
  }
  return { owner: parts[0]!, repo: parts[1]!, file, revision };
}

/** The https URL an `hf:` file is downloaded from. */
export function hfFileUrl(hf: HfFile): URL {
  const path = [hf.owner, hf.repo, "resolve", hf.revision, ...hf.file.split("/")]
    .map(encodeURIComponent)
    .join("/");
  return new URL(`${HUGGING_FACE_BASE}/${path}`);
}

/**
 * Classifies a reference without touching the file system or the network.
 * Accepted: a catalog id (letters, digits, `.`, `_`, `-`), an absolute path,
 * an `hf:` URI, an http(s) URL (whose host the store checks later). Refused
 * with INVALID_INPUT: relative paths and ids with separators or `..`, other
 * schemes (`file:`, `ftp:`, …), empty strings.
 */
export function parseModelRef(ref: string): ModelRef {
  if (typeof ref !== "string" || ref.trim() === "" || ref !== ref.trim() || ref.includes("\0")) {
    throw new InvalidInputError("model reference must be a non-empty string without surrounding spaces");
  }
  if (ref.startsWith("hf:")) {
    const hf = parseHfUri(ref);
    return { kind: "uri", uri: ref, url: hfFileUrl(hf), hf };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref) && !/^[A-Za-z]:[\\/]/.test(ref)) {
    let url: URL;
    try {
      url = new URL(ref);
    } catch (err) {
      throw new InvalidInputError(`malformed model URL ${quoteInput(ref)}`, { cause: err });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new InvalidInputError(`unsupported scheme ${url.protocol} in model reference`);
    }
    const last = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
    if (!last.endsWith(".gguf")) throw new InvalidInputError("model URL must name a .gguf file");
    return { kind: "uri", uri: ref, url };
  }
  if (isAbsolute(ref)) return { kind: "path", path: normalize(ref) };
  if (!MODEL_ID_PATTERN.test(ref)) {
    throw new InvalidInputError(
      `invalid model id ${quoteInput(ref)}: ids are letters, digits, '.', '_' and '-'; local files need an absolute path`,
    );
  }
  return { kind: "id", id: ref };
}

/**
 * The file name a remote file is stored under in the models directory when
 * no catalog entry names it: `<owner>--<repo>--<path…>` for hf: URIs,
 * `<host>--<path…>` for URLs.
 */
export function storageNameForUri(ref: Extract<ModelRef, { kind: "uri" }>): string {
  const parts = ref.hf
    ? [ref.hf.owner, ref.hf.repo, ...ref.hf.file.split("/")]
    : [ref.url.host.replace(":", "-"), ...ref.url.pathname.split("/").filter(Boolean).map(decodeSegment)];
  const name = parts.join("--");
  if (!MODEL_FILE_NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`cannot store ${quoteInput(ref.uri)} under a safe file name`);
  }
  return name;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
