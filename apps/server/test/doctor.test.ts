import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type SluiceConfig, sluiceConfigSchema } from "@sluice/config";
import { getCatalog } from "@sluice/core/models";
import { requireModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../src/cli.ts";
import { describeEffectiveConfig, doctorCommand } from "../src/commands/doctor.ts";
import { approxFileBytes, budgetOf, type DoctorFacts, diagnose } from "../src/commands/doctorChecks.ts";

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const catalogEntry = (id: string) => {
  const entry = getCatalog().get(id);
  if (!entry) throw new Error(`catalog lacks ${id}`);
  return entry;
};

/** A machine and config with nothing wrong: 16 GiB, 8 cores, the default model present and fitting. */
function healthy(config: Record<string, unknown> = {}): DoctorFacts {
  const parsed: SluiceConfig = sluiceConfigSchema.parse(config);
  return {
    config: parsed,
    configProblems: [],
    ignoredEnv: [],
    hardware: { ok: true, gpu: false, cpuMathCores: 8, maxThreads: 16 },
    memory: { totalBytes: 16 * GiB, freeBytes: 12 * GiB, budgetBytes: 8 * GiB },
    disk: { dir: "/models", exists: true, freeBytes: 50 * GiB },
    models: [
      {
        entry: catalogEntry(parsed.models.default),
        path: "/models/LFM2-350M-Q8_0.gguf",
        fileBytes: 379 * MiB,
        needBytes: 700 * MiB,
        exact: true,
        fits: true,
      },
    ],
    defaultIsFile: false,
  };
}

const problemsOf = (facts: DoctorFacts) => diagnose(facts).map((p) => p.problem);

describe("doctor checks", () => {
  it("find no problem on a healthy machine and config", () => {
    expect(diagnose(healthy())).toEqual([]);
  });

  it("flag more threads than physical cores, with the core count in the fix", () => {
    const [problem] = diagnose(healthy({ runtime: { threads: 12 } }));
    expect(problem?.problem).toContain("runtime.threads is 12");
    expect(problem?.fix).toContain("at most 8");
  });

  it("flag a GPU backend the binding does not run on", () => {
    expect(problemsOf(healthy({ runtime: { gpu: "cuda" } }))).toEqual([
      "runtime.gpu asks for cuda but the binding runs on the CPU",
    ]);
  });

  it("flag a memory budget above the free memory, and above the machine's memory", () => {
    const tight = healthy();
    tight.memory = { totalBytes: 16 * GiB, freeBytes: 2 * GiB, budgetBytes: 8 * GiB };
    expect(problemsOf(tight)[0]).toMatch(/budget \(8\.0 GiB\) is more than the free memory \(2\.0 GiB\)/);
    tight.memory.budgetBytes = 32 * GiB;
    expect(problemsOf(tight)[0]).toMatch(/more than the machine's memory/);
  });

  it("flag a default model over the budget with OUT_OF_MEMORY_BUDGET and how to shrink it", () => {
    const facts = healthy();
    facts.memory.budgetBytes = 512 * MiB;
    const [problem] = diagnose(facts);
    expect(problem?.problem).toContain("OUT_OF_MEMORY_BUDGET");
    expect(problem?.fix).toContain("runtime.contextSize");
  });

  it("flag a missing default model when downloads are off, and a context longer than the model's", () => {
    const facts = healthy({ models: { allowDownload: false }, runtime: { contextSize: 65536 } });
    facts.models = [{ ...facts.models[0]!, path: undefined }];
    expect(problemsOf(facts)).toEqual([
      "the default model lfm2-350m-q8_0 is not present and models.allowDownload is false",
      "runtime.contextSize 65536 is longer than lfm2-350m-q8_0 supports (32768)",
    ]);
  });

  it("flag a models volume too small for the pending download", () => {
    const facts = healthy();
    facts.models = [{ ...facts.models[0]!, path: undefined }];
    facts.disk.freeBytes = 600 * MiB;
    expect(problemsOf(facts)).toContainEqual(
      expect.stringMatching(/only 600 MiB free in \/models; the default model needs 379 MiB/),
    );
  });

  it("flag a default model that is not on disk: offline, the server would serve synthetic noise", () => {
    const facts = healthy();
    facts.models = [{ ...facts.models[0]!, path: undefined }];
    const [problem] = diagnose(facts);
    expect(problem?.problem).toBe(
      "the default model lfm2-350m-q8_0 is not on disk: `sluice serve` downloads it at start, and without network serves the generated lfm2-tiny instead (synthetic weights: output is noise)",
    );
    expect(problem?.fix).toContain("pnpm sluice models pull lfm2-350m-q8_0");
    expect(problem?.fix).toContain("stories260K");
  });

  it("flag a synthetic preset as the default model, with a real model as the fix", () => {
    const facts = healthy();
    facts.config = sluiceConfigSchema.parse({ models: { default: "lfm2-tiny" } });
    facts.models = [];
    expect(diagnose(facts)).toEqual([
      {
        problem:
          "models.default is lfm2-tiny, a generated model with synthetic weights: every answer is noise",
        fix: "set models.default to a catalog model (`pnpm sluice models pull lfm2-350m-q8_0`), or to stories260K with models.dirs: [models/fixtures] for real text offline",
      },
    ]);
  });

  it("flag a public bind without auth, unknown variables and config errors", () => {
    const facts = healthy({ server: { host: "0.0.0.0" } });
    facts.ignoredEnv = ["SLUICE_PROT"];
    facts.configProblems = [
      { path: "server.port", expected: "number <= 65535", received: 70000, message: "x" },
    ];
    const found = diagnose(facts);
    expect(found.map((p) => p.problem)).toEqual([
      "config server.port: expected number <= 65535, got 70000 (CONFIG_INVALID)",
      "environment variable SLUICE_PROT names no setting and is ignored",
      "server.host is 0.0.0.0 but auth is off: the server binds 127.0.0.1 instead, so it is unreachable from other machines",
    ]);
    for (const p of found) expect(p.fix.length).toBeGreaterThan(10);
  });

  it("flag a binding that failed to load", () => {
    const facts = healthy();
    facts.hardware = { ok: false, error: "no prebuilt binary" };
    expect(problemsOf(facts)).toEqual(["the llama.cpp binding did not load: no prebuilt binary"]);
  });

  it("take half the memory for an auto budget, bounded by the container's limit", () => {
    const config = sluiceConfigSchema.parse({});
    expect(budgetOf(config, 16 * GiB)).toBe(8 * GiB);
    expect(budgetOf(config, 16 * GiB, 4 * GiB)).toBe(2 * GiB);
    expect(budgetOf(sluiceConfigSchema.parse({ runtime: { memoryBudgetBytes: 3 * GiB } }), 16 * GiB)).toBe(
      3 * GiB,
    );
  });

  it("approximate file sizes from the catalog's size or from parameters and quantisation", () => {
    expect(approxFileBytes(catalogEntry("lfm2-350m-q8_0"))).toBe(379_000_000);
    // 1.2B weights at Q8_0's 8.5 bits per weight.
    expect(approxFileBytes(catalogEntry("lfm2-1.2b-q8_0"))).toBe(1_275_000_000);
  });

  it("redact secrets in the effective config", () => {
    const config = sluiceConfigSchema.parse({
      auth: { enabled: true, keys: [{ id: "ci", sha256: "a".repeat(64) }] },
      cache: { redis: { url: "redis://user:hunter2@redis:6379" } },
    });
    const text = describeEffectiveConfig(config, new Map([["server.port", "SLUICE_PORT"]])).join("\n");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("a".repeat(64));
    expect(text).toContain('keys[0].sha256="redacted"');
    expect(text).toContain('keys[0].id="ci"');
    expect(text).toContain("port=8080 (from SLUICE_PORT)");
    expect(text).toContain('url="redis://user:redacted@redis:6379"');
  });
});

describe("sluice doctor", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-doctor-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number | undefined; stdout: string }> {
    const result: { code: number | undefined; stdout: string } = { code: undefined, stdout: "" };
    const program = buildCli([
      () =>
        doctorCommand({
          out: (t) => {
            result.stdout += t;
          },
          exit: (c) => {
            result.code = c;
          },
          env,
          cwd: dir,
        }),
    ]);
    await program.parseAsync(["node", "sluice", "doctor", ...args]);
    return result;
  }

  it("exits 0 and shows the machine, the config and a present model that fits", async () => {
    const fixture = requireModelFixture("stories260K.gguf");
    if (!fixture) return;
    const file = join(dir, "ok.yaml");
    await writeFile(
      file,
      [
        "models: { default: stories260K, dir: models, dirs: [" + JSON.stringify(dirname(fixture)) + "] }",
        "runtime: { contextSize: 512, sequences: 1, threads: auto, memoryBudgetBytes: 268435456 }",
        "",
      ].join("\n"),
    );
    const { code, stdout } = await run(["--config", file]);
    expect(stdout).toMatch(/CPU threads\s+\d+ used by llama\.cpp/);
    // The workspace's setup builds the patched addon (scripts/build-native.mjs); the doctor says so.
    expect(stdout).toMatch(/llama\.cpp\s+\S+ \(localBuild, with Sluice's native patch\)/);
    expect(stdout).toMatch(/RAM\s+[\d.]+ GiB total/);
    // The active runner sandbox mode: bubblewrap where it runs, else the reason it does not.
    expect(stdout).toMatch(/\n {2}Sandbox +(bubblewrap \(no network|none, minimal environment only \(bwrap)/);
    expect(stdout).toContain("Audit           sha256 chain without a key");
    expect(stdout).toContain(`Disk `);
    expect(stdout).toContain(`Config (files: ${file}; secrets redacted)`);
    expect(stdout).toMatch(/\n {2}models +default="stories260K" /);
    expect(stdout).toMatch(/\n {2}runtime +mode="runner" +threads="auto" +contextSize=512 /);
    expect(stdout).toMatch(/memory budget 256 MiB, runtime\.memoryBudgetBytes/);
    // Present: the need comes from its GGUF header (no "~") and fits 256 MiB.
    expect(stdout).toMatch(/stories260K\s+chat\s+\d+ MiB\s+\d+ MiB\s+yes\s+yes/);
    expect(stdout).toMatch(/lfm2-2\.6b-q8_0\s+chat\s+~[\d.]+ GiB\s+~[\d.]+ GiB\s+no\s+no/);
    expect(stdout).toContain("Problems: none");
    expect(code).toBe(0);
  }, 60_000);

  it("exits 1 and names the bad field with its fix when the config is invalid", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "server: { port: 70000 }\nruntime: { memoryBudget: 3 }\n");
    const { code, stdout } = await run(["--config", file]);
    expect(stdout).toContain("INVALID, defaults shown");
    expect(stdout).toMatch(/config server\.port: expected number <= 65535, got 70000 \(from .*bad\.yaml\)/);
    expect(stdout).toMatch(/config runtime\.memoryBudget: expected no such field/);
    expect(stdout).toContain("fix: did you mean runtime.memoryBudgetBytes?");
    expect(stdout).toMatch(/fix: correct server\.port in .*bad\.yaml/);
    expect(code).toBe(1);
  }, 60_000);

  it("flags a misspelt variable but not the server's own ones, and names the variable behind a value", async () => {
    const file = join(dir, "env.yaml");
    await writeFile(file, "runtime: { threads: auto }\n");
    const env = { SLUICE_API_KEYS: "app:infer:s3cr3t-value", SLUICE_PORTT: "9000", SLUICE_PORT: "9090" };
    const { code, stdout } = await run(["--config", file], env);
    expect(stdout).toContain("port=9090 (from SLUICE_PORT)");
    expect(stdout).toContain("environment variable SLUICE_PORTT names no setting and is ignored");
    expect(stdout).not.toContain("SLUICE_API_KEYS");
    expect(stdout).not.toContain("s3cr3t-value");
    expect(code).toBe(1);
  }, 60_000);
});
