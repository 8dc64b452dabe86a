/**
 * Environment variables a runner process needs for fast decoding, added to
 * whatever environment the host gives its runners.
 *
 * `UV_THREADPOOL_SIZE=1`: node-llama-cpp runs every `llama_decode` and every
 * sampling step as a libuv work item, so with Node's default pool of four
 * threads consecutive decodes of one stream hop between threads. The CPU
 * backend of the prebuilt binding then starts each decode's ggml compute from
 * a different (cold, often descheduled) thread and spins at the graph's
 * barriers until it runs again. A runner does nothing else on the libuv pool
 * (no fs, DNS or crypto on the hot path), so one thread costs it nothing and
 * keeps every decode, sample and the next decode on the same warm thread.
 * The host process must keep Node's default pool.
 *
 * No `OMP_WAIT_POLICY`: with a binding built with OpenMP, `ACTIVE` keeps its
 * workers spinning between decodes (faster decode) but also while the model
 * is idle, a whole core per idle runner, for as long as it runs. The binding
 * Sluice builds (scripts/build-native.mjs) and the prebuilt ones use ggml's
 * own thread pool and ignore it; an operator who builds with OpenMP and wants
 * the spinning sets it in the host's environment (runners inherit `OMP_*`).
 */
export const RUNNER_DECODE_ENV: Readonly<Record<string, string>> = Object.freeze({
  UV_THREADPOOL_SIZE: "1",
});

/** The runner's environment: `base` (the host's choice) with RUNNER_DECODE_ENV on top. */
export function withDecodeEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, ...RUNNER_DECODE_ENV };
}
