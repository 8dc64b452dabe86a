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
 * Sluice's patched addon reads the same setting: with one pool thread it
 * decodes on that thread itself (no hand-off to its decode thread) and
 * samples on the JavaScript thread (no round trip through the pool), which
 * saves four thread wake-ups a token.
 * The host process must keep Node's default pool.
 *
 * No `OMP_WAIT_POLICY`: Sluice's native build (scripts/build-native.mjs) runs
 * ggml on OpenMP, and under `ACTIVE` its workers spin not only between the
 * decodes of a stream but also while the model is idle: a whole core per idle
 * runner, for as long as it runs (measured: 5 CPU-seconds in 5 idle seconds).
 * libgomp's default (spin briefly, then sleep) decodes as fast here (LFM2-350M
 * shape, 2 threads: ~55 tokens/s either way) and leaves an idle runner at 0.
 * The prebuilt binaries have no OpenMP.
 */
export const RUNNER_DECODE_ENV: Readonly<Record<string, string>> = Object.freeze({
  UV_THREADPOOL_SIZE: "1",
});

/** The runner's environment: `base` (the host's choice) with RUNNER_DECODE_ENV on top. */
export function withDecodeEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, ...RUNNER_DECODE_ENV };
}
