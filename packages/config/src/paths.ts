/** A field path such as `["limits", "rateLimit", "burst"]`. */
export type ConfigPath = readonly (string | number)[];

export function formatPath(path: ConfigPath): string {
  return path.map(String).join(".");
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** Value at `path`, or `undefined`. */
export function getPath(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Sets `value` at `path`, creating objects on the way; `undefined` deletes the key. */
export function setPath(root: Record<string, unknown>, path: ConfigPath, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object") node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** Freezes an object tree so a published config can never be mutated in place. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
