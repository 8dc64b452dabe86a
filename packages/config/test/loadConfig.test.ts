import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isSluiceError } from "@sluice/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigProblem } from "../src/ConfigInvalid.ts";
import { envOverrides } from "../src/env.ts";
import { loadConfig } from "../src/loadConfig.ts";
import { sluiceConfigSchema } from "../src/schema/index.ts";

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "sluice-config-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const { mkdir } = await import("node:fs/promises");
  const path = join(cwd, name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  return path;
}

function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (error) {
    expect(isSluiceError(error) && error.code).toBe("CONFIG_INVALID");
    return (error as { details: { problems: ConfigProblem[] } }).details.problems;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("loadConfig", () => {
  it("gives built-in defaults when there are no files, variables or flags", () => {
    const loaded = loadConfig({ cwd });
    expect(loaded.config).toEqual(sluiceConfigSchema.parse({}));
    expect(loaded.files).toEqual([]);
    expect(Object.isFrozen(loaded.config.server)).toBe(true);
  });

  it("layers default.yaml, <SLUICE_ENV>.yaml, variables and CLI flags, later winning", async () => {
    await file(
      "config/default.yaml",
      "server: { port: 1000, host: 0.0.0.0 }\nlimits: { maxTokens: 100, defaultMaxTokens: 50 }\nmodels: { dirs: [a] }\n",
    );
    await file("config/prod.yaml", "server: { port: 2000 }\nlimits: { maxTokens: 200 }\n");
    const loaded = loadConfig({
      cwd,
      env: { SLUICE_ENV: "prod", SLUICE_LIMITS__MAX_TOKENS: "300", SLUICE_PORT: "3000" },
      overrides: { server: { port: 4000 } },
    });
    expect(loaded.config.server).toMatchObject({ host: "0.0.0.0", port: 4000 });
    expect(loaded.config.limits).toMatchObject({ maxTokens: 300, defaultMaxTokens: 50 });
    expect(loaded.config.models.dirs).toEqual(["a"]);
    expect(loaded.files).toEqual([join(cwd, "config/default.yaml"), join(cwd, "config/prod.yaml")]);
    expect(loaded.sources.get("server.port")).toBe("cli");
    expect(loaded.sources.get("limits.maxTokens")).toBe("SLUICE_LIMITS__MAX_TOKENS");
    expect(loaded.sources.get("server.host")).toBe(join(cwd, "config/default.yaml"));
  });

  it("reads only the explicit file named by --config or SLUICE_CONFIG", async () => {
    await file("config/default.yaml", "server: { port: 1000 }\n");
    const explicit = await file("elsewhere/sluice.yaml", "server: { playgroundPort: 3100 }\n");
    for (const loaded of [
      loadConfig({ cwd, configFile: "elsewhere/sluice.yaml" }),
      loadConfig({ cwd, env: { SLUICE_CONFIG: explicit } }),
    ]) {
      expect(loaded.config.server).toMatchObject({ port: 8080, playgroundPort: 3100 });
      expect(loaded.files).toEqual([explicit]);
    }
    expect(problemsOf(() => loadConfig({ cwd, configFile: "missing.yaml" }))[0]).toMatchObject({
      path: "(file)",
      expected: "an existing file",
    });
  });

  it("maps the documented short variables and the generic SLUICE_SECTION__FIELD form", () => {
    const { config } = loadConfig({
      cwd,
      env: {
        SLUICE_MODEL: "lfm2-1.2b-q4_k_m",
        SLUICE_MODEL_DIRS: "/a,/b:/c",
        SLUICE_PLAYGROUND_PORT: "3001",
        SLUICE_HOST: "0.0.0.0",
        SLUICE_RUNTIME__GPU: "false",
        SLUICE_CACHE__RESULTS__TTL_MS: "1000",
        SLUICE_THREADS: "auto",
        SLUICE_RUNTIME: "in-process",
        SLUICE_MAX_QUEUE: "7",
        SLUICE_CORS_ORIGINS: "http://localhost:3000",
        PATH: "/usr/bin",
      },
    });
    expect(config.models.default).toBe("lfm2-1.2b-q4_k_m");
    expect(config.models.dirs).toEqual(["/a", "/b", "/c"]);
    expect(config.server).toMatchObject({ playgroundPort: 3001, host: "0.0.0.0" });
    expect(config.runtime.gpu).toBe(false);
    expect(config.cache.results.ttlMs).toBe(1000);
    expect(config.runtime.threads).toBe("auto");
    expect(config.runtime.mode).toBe("in-process");
    expect(config.limits.maxQueueDepth).toBe(7);
    expect(config.server.corsOrigins).toEqual(["http://localhost:3000"]);
  });

  it("reports SLUICE_ variables that name no field instead of silently using them", () => {
    expect(envOverrides({ SLUICE_PROT: "1", SLUICE_ENV: "dev" }).ignored).toEqual(["SLUICE_PROT"]);
    expect(problemsOf(() => loadConfig({ cwd, env: { SLUICE_SERVER__PROT: "1" } }))[0]).toMatchObject({
      path: "server.prot",
      source: "SLUICE_SERVER__PROT",
    });
  });

  it("lists every bad field with its path, expected value, received value and source", async () => {
    await file("config/default.yaml", "server: { port: 70000 }\nruntime: { mode: turbo }\n");
    const problems = problemsOf(() => loadConfig({ cwd, env: { SLUICE_LIMITS__MAX_QUEUE_DEPTH: "many" } }));
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(["limits.maxQueueDepth", "runtime.mode", "server.port"]);
    expect(byPath["server.port"]).toMatchObject({ expected: "number <= 65535", received: 70000 });
    expect(byPath["server.port"]?.source).toBe(join(cwd, "config/default.yaml"));
    expect(byPath["runtime.mode"]).toMatchObject({
      expected: 'one of "runner", "in-process"',
      received: "turbo",
    });
    expect(byPath["limits.maxQueueDepth"]).toMatchObject({
      expected: "number",
      source: "SLUICE_LIMITS__MAX_QUEUE_DEPTH",
    });
  });

  it("puts every problem in the error message", async () => {
    await file(
      "config/default.yaml",
      "server: { port: -1 }\ncascade: { tiers: [{ model: a, confidenceThreshold: 2 }] }\n",
    );
    try {
      loadConfig({ cwd });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("server.port: expected number >= 0, got -1");
      expect((error as Error).message).toContain(
        "cascade.tiers.0.confidenceThreshold: expected number <= 1, got 2",
      );
    }
  });

  it("reports malformed YAML with its line", async () => {
    await file("config/default.yaml", "server:\n  port: [1, 2\n");
    const [problem] = problemsOf(() => loadConfig({ cwd }));
    expect(problem?.source).toBe(join(cwd, "config/default.yaml"));
    expect(problem?.message).toMatch(/line \d+/);
  });

  it("loads the repository's config/default.yaml to exactly the built-in defaults", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const loaded = loadConfig({ cwd: root });
    expect(loaded.files).toEqual([join(root, "config/default.yaml")]);
    expect(loaded.config).toEqual(sluiceConfigSchema.parse({}));
  });
});
