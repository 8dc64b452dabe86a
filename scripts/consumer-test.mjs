// The consumer test: what an internal team does with the published packages.
// Packs every publishable @sluice package (pnpm pack: workspace and catalog
// versions become real ones), installs the tarballs with npm into a project
// outside the workspace, then typechecks and runs the README's SDK example on
// a synthetic model, with SluiceError/isSluiceError imported from @sluice/sdk.
// Needs `pnpm build` first. Usage: node scripts/consumer-test.mjs [--keep]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "sluice-consumer-"));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
mkdirSync(app, { recursive: true });
const started = Date.now();
const step = (what) => console.log(`consumer: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const sh = (cmd, args, cwd, env = {}) =>
  execFileSync(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } });

try {
  step("packing");
  sh(
    "pnpm",
    [
      "-r",
      "--filter",
      "./packages/*",
      "--filter",
      "./tooling/gguf-synth",
      "pack",
      // Each package's prepack would run tsdown again; CI's `pnpm build` just did.
      "--ignore-scripts",
      "--pack-destination",
      tarballs,
    ],
    root,
  );
  const packed = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
  const deps = {};
  for (const file of packed) {
    const name = `@sluice/${file.replace(/^sluice-/, "").replace(/-\d+\.\d+\.\d+.*\.tgz$/, "")}`;
    deps[name] = `file:${join(tarballs, file)}`;
  }
  // GPU and foreign-platform prebuilts of the llama bindings are ~1 GB and unused on a CPU machine:
  // empty stand-ins keep npm from downloading them (a consumer with a GPU leaves these out).
  const stubs = join(work, "stubs");
  const skipped = [
    "@node-llama-cpp/linux-x64-cuda",
    "@node-llama-cpp/linux-x64-cuda-ext",
    "@node-llama-cpp/linux-x64-vulkan",
    "@node-llama-cpp/linux-arm64",
    "@node-llama-cpp/linux-armv7l",
    "@fugood/node-llama-linux-x64-cuda",
    "@fugood/node-llama-linux-x64-vulkan",
    "@fugood/node-llama-linux-arm64",
    "@fugood/node-llama-linux-arm64-cuda",
    "@fugood/node-llama-linux-arm64-vulkan",
    "@fugood/node-llama-linux-arm64-snapdragon",
    "@fugood/node-llama-wasm",
  ];
  const overrides = {};
  for (const name of skipped) {
    const dir = join(stubs, name.replace("/", "__"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "0.0.0-stub" }));
    overrides[name] = `file:${dir}`;
  }
  // better-sqlite3 compiles from source where its prebuilt binaries can not be
  // fetched (minutes on two cores): the workspace's copy, already built for
  // this Node, stands in; install scripts are skipped for the same reason
  // (the llama bindings ship prebuilt and need none).
  const sqlite = readdirSync(join(root, "node_modules", ".pnpm")).find((d) =>
    d.startsWith("better-sqlite3@"),
  );
  if (sqlite)
    overrides["better-sqlite3"] =
      `file:${join(root, "node_modules", ".pnpm", sqlite, "node_modules", "better-sqlite3")}`;
  // The transitive @sluice/* dependencies (0.1.0) are the tarballs, not the registry.
  for (const name of Object.keys(deps)) overrides[name] = `$${name}`;
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify(
      {
        name: "sluice-consumer",
        private: true,
        type: "module",
        dependencies: deps,
        devDependencies: { typescript: "6.0.3", "@types/node": "20.19.43" },
        overrides,
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2023",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: true,
        types: ["node"],
        outDir: "out",
      },
      include: ["*.ts"],
    }),
  );
  // The README's example, on a synthetic model addressed by a relative path,
  // plus the error types a caller checks.
  writeFileSync(
    join(app, "example.ts"),
    `import { mkdirSync } from "node:fs";
import { writeSynthModel } from "@sluice/gguf-synth";
import { createSluice, isSluiceError, SluiceError } from "@sluice/sdk";

mkdirSync("models", { recursive: true });
await writeSynthModel({ preset: "lfm2-tiny", out: "models/lfm2-tiny.gguf" });
const sluice = await createSluice({
  models: [{ id: "lfm2", source: "./models/lfm2-tiny.gguf", contextSize: 512, threads: 2, preload: true }],
  store: { modelsDir: "models" },
});
let text = "";
for await (const event of sluice.chatStream({
  messages: [{ role: "user", content: "Hi!" }],
  maxTokens: 8,
})) {
  if (event.type === "token") text += event.text;
}
const { vectors } = await sluice.embed({ texts: ["first text", "second text"], normalize: true });
let caught: unknown;
try {
  await sluice.chat({ model: "no-such-model", messages: [{ role: "user", content: "Hi" }], maxTokens: 1 });
} catch (error) {
  caught = error;
}
await sluice.close();
if (!isSluiceError(caught) || !(caught instanceof SluiceError)) throw new Error(\`expected a SluiceError, got \${String(caught)}\`);
if (text.length === 0 || vectors.length !== 2) throw new Error("no tokens or no vectors");
console.log(JSON.stringify({ chars: text.length, vectors: vectors.length, dims: vectors[0]?.length, error: caught.code }));
`,
  );
  step("npm install (tarballs + their registry dependencies)");
  sh(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", "--loglevel=error"],
    app,
  );
  step("typecheck and compile");
  sh(join(app, "node_modules", ".bin", "tsc"), ["-p", "."], app);
  step("run");
  sh(process.execPath, [join(app, "out", "example.js")], app);
  step("passed");
} finally {
  if (keep) console.log(`consumer: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
