// Module hooks of coverageSources.mjs: after tsx's load hook, write each
// workspace source's transformed code beside the runner's V8 coverage.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

let dir;

export function initialize(data) {
  // A sandboxed runner sees its package read-only: it then records nothing (and V8 writes nothing).
  try {
    mkdirSync(data.dir, { recursive: true });
    dir = data.dir;
  } catch {
    dir = undefined;
  }
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (dir && result.source != null && /^file:\/\/.*\/src\/.*\.tsx?$/.test(url)) {
    const name = createHash("sha1").update(url).digest("hex");
    try {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify({ url, source: String(result.source) }));
    } catch {
      // Coverage is best effort; the runner's work is not.
    }
  }
  return result;
}
