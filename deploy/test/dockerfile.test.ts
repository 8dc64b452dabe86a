import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const text = readFileSync(join(root, "deploy", "Dockerfile"), "utf8");
// Instructions with their continuation lines joined.
const instructions = text
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const of = (op: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${op} `));

/** A subset of hadolint's rules, applied without a Docker engine. */
describe("deploy/Dockerfile lint", () => {
  it("pins base images (DL3006/DL3007)", () => {
    for (const from of of("FROM")) expect(from).not.toMatch(/:latest\b/);
    for (const arg of of("ARG").filter((a) => /_IMAGE=/.test(a))) expect(arg).toMatch(/=[\w./-]+:[\w.-]+$/);
  });

  it("installs apt packages without recommends and cleans the lists (DL3015/DL3009)", () => {
    for (const run of of("RUN").filter((r) => r.includes("apt-get install"))) {
      expect(run).toContain("--no-install-recommends");
      expect(run).toContain("rm -rf /var/lib/apt/lists/*");
      expect(run).toMatch(/apt-get install -y/);
    }
  });

  it("ends as a non-root user (DL3002) with a JSON-form CMD (DL3025) and a HEALTHCHECK on /healthz", () => {
    const lastUser = of("USER").at(-1);
    expect(lastUser).toBeDefined();
    expect(lastUser).not.toMatch(/\broot\b/);
    expect(of("CMD").at(-1)).toMatch(/^CMD \[/);
    expect(of("HEALTHCHECK").join("\n")).toContain("/healthz");
  });

  it("is multi-stage with a slim runtime that copies from the build stage", () => {
    const stages = of("FROM").map((f) => / AS (\w+)/i.exec(f)?.[1]);
    expect(stages).toEqual(expect.arrayContaining(["prune", "build", "runtime"]));
    expect(instructions.some((l) => /^COPY --from=build /.test(l))).toBe(true);
  });
});

describe("deploy/Dockerfile consistency with the workspace", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

  it("installs the pnpm version the workspace pins", () => {
    expect(text).toContain(`pnpm@${pkg.packageManager.split("@")[1]}`);
  });

  it("names files and workspace packages that exist", () => {
    for (const copy of of("COPY").filter((c) => !c.includes("--from"))) {
      const src = copy.split(/\s+/).filter((p) => !p.startsWith("--"))[1]!;
      if (src !== ".") expect(existsSync(join(root, src)), src).toBe(true);
    }
    for (const [, name] of text.matchAll(/(@sluice\/[\w-]+)/g)) {
      const dirs = ["apps", "packages", "tooling"].flatMap((d) => [join(root, d, name!.split("/")[1]!)]);
      expect(
        dirs.some((d) => existsSync(join(d, "package.json"))),
        name,
      ).toBe(true);
    }
    const cmd = JSON.parse(of("CMD").at(-1)!.slice(4)) as string[];
    expect(existsSync(join(root, cmd[1]!)), cmd[1]).toBe(true);
  });

  it("builds Sluice's patched addon, portable, before staging the image (what the tests run)", () => {
    const runs = of("RUN");
    const native = runs.findIndex((r) => r.includes("scripts/build-native.mjs --portable"));
    const stage = runs.findIndex((r) => r.includes("scripts/stage-image.sh"));
    expect(native).toBeGreaterThanOrEqual(0);
    expect(stage).toBeGreaterThan(native);
    // build-native.mjs falls back to the prebuilt binaries without cmake and a compiler.
    expect(runs.find((r) => r.includes("apt-get install"))).toMatch(/\bcmake\b/);
    expect(runs.find((r) => r.includes("apt-get install"))).toMatch(/\bg\+\+/);
    expect(existsSync(join(root, "scripts", "build-native.mjs"))).toBe(true);
    // Its patches of the llama.cpp source are outside what the pruned workspace copies.
    const copies = instructions.filter((l) => /^COPY /.test(l));
    const llamaPatches = instructions.findIndex((l) => /^COPY patches\/llama\.cpp /.test(l));
    expect(llamaPatches, copies.join("\n")).toBeGreaterThanOrEqual(0);
    expect(instructions.findIndex((l) => l.includes("scripts/build-native.mjs --portable"))).toBeGreaterThan(
      llamaPatches,
    );
  });

  it("uses the Node major version of the workspace engines field", () => {
    const major = /(\d+)/.exec(pkg.engines.node)![1];
    for (const arg of of("ARG").filter((a) => a.includes("node:"))) expect(arg).toContain(`node:${major}.`);
  });
});
