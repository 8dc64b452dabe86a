#!/usr/bin/env node
// Builds node-llama-cpp's addon from the llama.cpp source it ships
// (llama/gitRelease.bundle, offline) with Sluice's patches applied
// (patches/node-llama-cpp@*.patch, the addon: several embedding texts per
// decode, one decode thread per process; patches/llama.cpp/*.patch, the
// llama.cpp source, applied after download: batched decoding's weight
// prefetch), and keeps the build in a cache so a machine builds it once per
// patch, binding version, Node ABI and CPU.
//
// Without cmake and a C++ compiler, or when the build fails, Sluice runs on
// node-llama-cpp's prebuilt binaries (one embedding text per decode) and this
// script says so; it never fails the setup. SLUICE_BUILD_NATIVE=0 skips it.
//
//   node scripts/build-native.mjs            build, or restore from the cache
//   node scripts/build-native.mjs --portable the same, for any CPU of this architecture (images)
//   node scripts/build-native.mjs --check    exit 1 unless a patched build is in place
//
// A plain build compiles llama.cpp for this machine's CPU (GGML_NATIVE), so it
// may not run on another. --portable (deploy/Dockerfile) compiles every CPU
// variant llama.cpp knows for the architecture and picks one at load
// (GGML_CPU_ALL_VARIANTS, GGML_BACKEND_DL), as node-llama-cpp's prebuilts do.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
// The copy @sluice/core runs (pnpm's patched one); its exports do not include package.json.
const pkgDir = realpathSync(join(root, "packages", "core", "node_modules", "node-llama-cpp"));
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const buildsDir = join(pkgDir, "llama", "localBuilds");
const marker = join(buildsDir, ".sluice-native-key");

const say = (line) => console.log(`native: ${line}`);
const warn = (line) => console.warn(`native: WARNING: ${line}`);

const portable = process.argv.includes("--portable");
/** The CMake options of a portable build (node-llama-cpp reads NODE_LLAMA_CPP_CMAKE_OPTION_*). */
const PORTABLE_CMAKE = { GGML_NATIVE: "OFF", GGML_CPU_ALL_VARIANTS: "ON", GGML_BACKEND_DL: "ON" };

/** Sluice's patches of the llama.cpp source, applied in name order after `source download`. */
const llamaPatchDir = join(root, "patches", "llama.cpp");
const llamaPatches = existsSync(llamaPatchDir)
  ? readdirSync(llamaPatchDir)
      .filter((name) => name.endsWith(".patch"))
      .sort()
  : [];

/** What the build depends on: the patched addon and llama.cpp sources, the bundled llama.cpp, Node's ABI, the CPU (or portability). */
function buildKey(portable) {
  const hash = createHash("sha256");
  for (const name of llamaPatches)
    hash.update(`${name}\0${readFileSync(join(llamaPatchDir, name), "utf8")}\0`);
  const patches = join(root, "patches");
  // Only the patch's native files (llama/): a change to its JavaScript needs no rebuild.
  for (const name of existsSync(patches) ? readdirSync(patches).sort() : [])
    if (name.startsWith("node-llama-cpp@"))
      for (const file of readFileSync(join(patches, name), "utf8").split(/^(?=diff --git )/m))
        if (file.startsWith("diff --git a/llama/")) hash.update(file);
  hash.update(`${pkg.version}\0${process.versions.modules}\0${process.platform}\0${process.arch}\0`);
  hash.update(readFileSync(join(pkgDir, "llama", "binariesGithubRelease.json")));
  // llama.cpp compiles for the build machine's CPU (GGML_NATIVE): a build is valid only on the same CPU features.
  if (portable) hash.update(`portable\0${JSON.stringify(PORTABLE_CMAKE)}`);
  else if (existsSync("/proc/cpuinfo")) {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    hash.update(info.match(/^model name\s*:.*$/m)?.[0] ?? "");
    hash.update(info.match(/^flags\s*:.*$/m)?.[0] ?? "");
  }
  return hash.digest("hex").slice(0, 24);
}

/** Whether the addon source in node_modules carries Sluice's patch. */
function sourceIsPatched() {
  const source = join(pkgDir, "llama", "addon", "AddonContext.cpp");
  return existsSync(source) && readFileSync(source, "utf8").includes("GetBatchEmbedding");
}

const key = buildKey(portable);
const cacheDir = join(process.env.SLUICE_NATIVE_CACHE ?? join(homedir(), ".cache", "sluice", "native"), key);
const placed = existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
const inPlace = placed === key;

if (process.argv.includes("--check")) {
  // Either kind of build of this patch counts.
  const ok = placed === buildKey(false) || placed === buildKey(true);
  say(ok ? `patched build ${placed} in place` : "no patched build: prebuilt binaries");
  process.exit(ok ? 0 : 1);
}
if (!sourceIsPatched()) {
  warn(
    "node-llama-cpp's addon source is not patched (pnpm install applies patches/); using the prebuilt binaries",
  );
  process.exit(0);
}
if (inPlace) {
  say(`patched build ${key} in place`);
  process.exit(0);
}
if (existsSync(join(cacheDir, "localBuilds"))) {
  rmSync(buildsDir, { recursive: true, force: true });
  cpSync(join(cacheDir, "localBuilds"), buildsDir, { recursive: true });
  if (existsSync(join(cacheDir, "llama.cpp.info.json")))
    cpSync(join(cacheDir, "llama.cpp.info.json"), join(pkgDir, "llama", "llama.cpp.info.json"));
  writeFileSync(marker, `${key}\n`);
  say(`patched build ${key} restored from ${cacheDir}`);
  process.exit(0);
}
if (process.env.SLUICE_BUILD_NATIVE === "0") {
  warn("SLUICE_BUILD_NATIVE=0: not building; using the prebuilt binaries (one embedding text per decode)");
  process.exit(0);
}
for (const tool of ["cmake", "g++"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    warn(`${tool} is missing: not building; using the prebuilt binaries (one embedding text per decode)`);
    process.exit(0);
  }
}

say(
  `building node-llama-cpp ${pkg.version}'s addon with Sluice's patches from the bundled llama.cpp${portable ? ", portable (every CPU variant)" : " (about 5 minutes on 2 cores)"}`,
);
const started = Date.now();
const cliEnv = {
  ...process.env,
  CI: "true",
  ...(portable
    ? Object.fromEntries(
        Object.entries(PORTABLE_CMAKE).map(([k, v]) => [`NODE_LLAMA_CPP_CMAKE_OPTION_${k}`, v]),
      )
    : {}),
};
const cli = (...args) =>
  spawnSync(process.execPath, [join(pkgDir, "dist", "cli", "cli.js"), "source", ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: cliEnv,
  }).status;
// Download (from the bundle), patch, then build: node-llama-cpp builds the llama.cpp tree it downloaded.
let status = cli("download", "--gpu", "false", "--skipBuild", "--noUsageExample");
for (const name of status === 0 ? llamaPatches : []) {
  // The ceiling keeps git from taking an enclosing repository (the workspace) for the tree's own,
  // in which case it would skip every path of the patch as outside the current folder.
  const applied = spawnSync("git", ["apply", join(llamaPatchDir, name)], {
    cwd: join(pkgDir, "llama", "llama.cpp"),
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, GIT_CEILING_DIRECTORIES: join(pkgDir, "llama") },
  });
  if (applied.status !== 0) {
    warn(`patches/llama.cpp/${name} does not apply to the bundled llama.cpp`);
    status = applied.status ?? 1;
    break;
  }
  say(`applied patches/llama.cpp/${name}`);
}
if (status === 0) status = cli("build", "--gpu", "false", "--noUsageExample");
if (status !== 0) {
  warn(`the build failed (exit ${status}); using the prebuilt binaries (one embedding text per decode)`);
  rmSync(buildsDir, { recursive: true, force: true });
  process.exit(0);
}
// The sources and intermediate objects are not needed at run time.
rmSync(join(pkgDir, "llama", "llama.cpp"), { recursive: true, force: true });
if (portable) {
  // node-llama-cpp names a build with custom CMake options after their hash and finds it only
  // when the same options are in the environment at load; a portable build is the one every load
  // of this package must find, so it takes the plain name.
  const plain = `${{ linux: "linux", darwin: "mac", win32: "win" }[process.platform] ?? process.platform}-${process.arch}`;
  const hashed = readdirSync(buildsDir).filter((name) => name.startsWith(`${plain}-`));
  if (hashed.length !== 1) {
    warn(
      `expected one portable build in ${buildsDir}, found ${hashed.join(", ") || "none"}; using the prebuilt binaries`,
    );
    rmSync(buildsDir, { recursive: true, force: true });
    process.exit(0);
  }
  rmSync(join(buildsDir, plain), { recursive: true, force: true });
  renameSync(join(buildsDir, hashed[0]), join(buildsDir, plain));
}
writeFileSync(marker, `${key}\n`);
// The build is in place; a cache that can not be written (read-only, full) only costs the next setup a rebuild.
const tmp = `${cacheDir}.tmp-${process.pid}`;
try {
  mkdirSync(tmp, { recursive: true });
  cpSync(buildsDir, join(tmp, "localBuilds"), { recursive: true });
  if (existsSync(join(pkgDir, "llama", "llama.cpp.info.json")))
    cpSync(join(pkgDir, "llama", "llama.cpp.info.json"), join(tmp, "llama.cpp.info.json"));
  rmSync(cacheDir, { recursive: true, force: true });
  renameSync(tmp, cacheDir);
} catch (err) {
  try {
    rmSync(tmp, { recursive: true, force: true });
  } catch {}
  warn(`could not cache the build in ${cacheDir} (${err.message}); the next setup builds it again`);
  process.exit(0);
}
say(`patched build ${key} done in ${Math.round((Date.now() - started) / 1000)} s, cached in ${cacheDir}`);
