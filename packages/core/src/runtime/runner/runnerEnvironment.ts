/**
 * Variables a runner inherits by exact name. Everything else is dropped: a
 * runner parses untrusted model files in native code, so it gets no API keys,
 * cache or audit keys, cloud credentials or anything else the host was given.
 */
const KEEP_NAMES: ReadonlySet<string> = new Set([
  "PATH",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "NODE_ENV",
  // Where V8 writes coverage on exit: coverage tools (c8, Sluice's own test run) follow runners.
  "NODE_V8_COVERAGE",
  // GPU device selection, read by the CUDA/Vulkan/ROCm back ends.
  "CUDA_VISIBLE_DEVICES",
  "HIP_VISIBLE_DEVICES",
  "ROCR_VISIBLE_DEVICES",
  "GGML_VK_VISIBLE_DEVICES",
]);

/** Variables a runner inherits by prefix: llama.cpp's and node-llama-cpp's own settings, OpenMP's. */
const KEEP_PREFIXES: readonly string[] = ["GGML_", "LLAMA_", "NODE_LLAMA_CPP_", "OMP_"];

/**
 * The whole environment of a runner process, built from an allow-list of
 * `source` plus `extra` (which wins). `HOME` and `TMPDIR` point at a scratch
 * directory so nothing the host keeps in its home is read by accident.
 *
 * @param source The host's environment. Defaults to `process.env`.
 * @param extra Variables the runner needs set (e.g. thread-pool sizes). Defaults to none.
 */
export function runnerEnvironment(
  source: NodeJS.ProcessEnv = process.env,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (KEEP_NAMES.has(name) || KEEP_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  }
  env.HOME = "/tmp";
  env.TMPDIR = "/tmp";
  return { ...env, ...extra };
}
