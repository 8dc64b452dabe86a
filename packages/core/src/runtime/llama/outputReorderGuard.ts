// Co-batched sequences must read their own logits.
//
// When llama.cpp splits a batch of several sequences into micro-batches (it
// does for recurrent and hybrid models such as LFM2, and for a KV cache with
// one stream per sequence), the output rows come back in another order than
// the batch's. llama.cpp records the swaps and applies them lazily, on the
// first logits access after the decode (`llama_context::output_reorder`,
// reached from `llama_get_logits_ith`), without a lock.
//
// node-llama-cpp samples every sequence of a batch at once, one libuv worker
// per sequence, each calling `llama_get_logits_ith`. With more than one worker
// thread the swaps run concurrently: rows are swapped twice or torn, and a
// sequence samples another sequence's logits. Measured with the co-batching
// fidelity test (test/fidelity/cobatch.test.ts): without this guard, 6 of 20
// runs diverged from the solo output at confident steps (top-2 probabilities
// 1.0000 / 0.0000 on lfm2-convprobe, 0.8363 / 0.0965 on stories260K); with
// UV_THREADPOOL_SIZE=1 (one worker, as in Sluice's runners), 0 of 20; with
// the guard, 0 of 40.
//
// The guard lets the first sampling after each decode finish alone, which
// applies and clears the swaps; the rest of the batch then samples in
// parallel as before. Runners, whose libuv pool has one thread, were already
// serial; in-process engines were not.
import type { LlamaContext } from "node-llama-cpp";

type NativeFn = (...args: unknown[]) => unknown;

interface NativeContext {
  decodeBatch: NativeFn;
  sampleToken: NativeFn;
}

const guarded = new WeakSet<LlamaContext>();

function nativeOf(context: LlamaContext): NativeContext | undefined {
  const native = (context as unknown as { _ctx?: Partial<NativeContext> })._ctx;
  if (native == null) return undefined;
  if (typeof native.decodeBatch !== "function" || typeof native.sampleToken !== "function") return undefined;
  return native as NativeContext;
}

/**
 * Installs the guard on a context's native handle. Returns false when the
 * binding does not have the shape this guard knows (a node-llama-cpp other
 * than the one Sluice pins); the caller decides what that means.
 */
export function guardOutputReorder(context: LlamaContext): boolean {
  if (guarded.has(context)) return true;
  const native = nativeOf(context);
  if (native === undefined) return false;
  const decode = native.decodeBatch.bind(native);
  const sample = native.sampleToken.bind(native);
  // true from the end of a decode until the first sampling after it has been started.
  let reorderPending = false;
  // The first sampling after the latest decode, settled either way.
  let firstSample: Promise<unknown> | undefined;

  // The addon's methods are read-only on its prototype: define own properties that shadow them.
  const own = (name: keyof NativeContext, value: NativeFn): void => {
    Object.defineProperty(native, name, { value, configurable: true, writable: false });
  };
  own("decodeBatch", async (...args: unknown[]) => {
    const result = await decode(...args);
    reorderPending = true;
    firstSample = undefined;
    return result;
  });
  own("sampleToken", (...args: unknown[]) => {
    if (reorderPending) {
      reorderPending = false;
      const first = Promise.resolve(sample(...args));
      firstSample = first.then(
        () => undefined,
        () => undefined,
      );
      return first;
    }
    if (firstSample !== undefined) return firstSample.then(() => sample(...args));
    return sample(...args);
  });
  guarded.add(context);
  return true;
}

/** Whether `guardOutputReorder` is installed on this context. */
export function isOutputReorderGuarded(context: LlamaContext): boolean {
  return guarded.has(context);
}
