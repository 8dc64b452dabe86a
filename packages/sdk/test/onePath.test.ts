import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** Production TypeScript sources: packages/*\/src and apps/*\/src, tests excluded. */
function productionFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "test") walk(path);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) files.push(path);
    }
  };
  for (const group of ["packages", "apps"])
    for (const pkg of readdirSync(join(root, group), { withFileTypes: true }))
      if (pkg.isDirectory()) {
        const src = join(root, group, pkg.name, "src");
        try {
          walk(src);
        } catch {
          // A workspace without src/ has no production code to check.
        }
      }
  return files;
}

/** Files (relative to the repo root) whose code, comments stripped, matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return productionFiles()
    .filter((f) => pattern.test(readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")))
    .map((f) => relative(root, f))
    .sort();
}

const RUNTIME = "packages/core/src/runtime/host/Runtime.ts";
const HOST = "packages/core/src/runtime/host/ModelHost.ts";

describe("one request path", () => {
  it("finds production sources to check", () => {
    const files = productionFiles().map((f) => relative(root, f));
    expect(files).toContain(RUNTIME);
    expect(files).toContain("packages/sdk/src/Sluice.ts");
  });

  it("builds the queue and the model host only inside Runtime", () => {
    expect(filesMatching(/new Scheduler\(/)).toEqual([RUNTIME]);
    expect(filesMatching(/new ModelHost\(/)).toEqual([RUNTIME]);
  });

  it("takes queue slots and runs leased engines only inside Runtime", () => {
    expect(filesMatching(/scheduler\.(acquire|run)\(/)).toEqual([RUNTIME]);
    expect(filesMatching(/host\.run\(/)).toEqual([RUNTIME]);
  });

  it("reports request outcomes to the breaker only from the model host's own run()", () => {
    expect(filesMatching(/\.report(Success|Failure)\(/)).toEqual([HOST]);
  });

  it("calls a leased engine's generate and embed only inside Runtime (and the host's load check)", () => {
    expect(filesMatching(/\bengine\.(generate|embed)\(/)).toEqual([HOST, RUNTIME]);
  });
});
