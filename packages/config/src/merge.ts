import { type ConfigPath, formatPath, isPlainObject } from "./paths.ts";

/** Which layer supplied each leaf: a file path, an environment variable name or `cli`. */
export type SourceMap = Map<string, string>;

/**
 * Merges `layer` into `target` in place: objects merge key by key, arrays and
 * scalars replace (a list in a later layer is the whole list), and every leaf
 * written is attributed to `source` so errors can say where a value came from.
 */
export function mergeLayer(
  target: Record<string, unknown>,
  layer: Record<string, unknown>,
  source: string,
  sources: SourceMap,
  path: ConfigPath = [],
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const here = [...path, key];
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeLayer(existing, value, source, sources, here);
    } else {
      target[key] = isPlainObject(value) ? structuredClone(value) : value;
      attribute(value, here, source, sources);
    }
  }
}

function attribute(value: unknown, path: ConfigPath, source: string, sources: SourceMap): void {
  sources.set(formatPath(path), source);
  if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) attribute(child, [...path, key], source, sources);
  }
}

/** The source of `path` or of its nearest attributed ancestor. */
export function sourceOf(sources: SourceMap, path: ConfigPath): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = sources.get(formatPath(path.slice(0, n)));
    if (found) return found;
  }
  return undefined;
}
