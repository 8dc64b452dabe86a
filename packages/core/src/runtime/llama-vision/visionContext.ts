/**
 * Opening a llama.node context with its projector. Only the vision runner
 * imports the binding, and only through this file (a dynamic import, so that
 * importing the barrel never loads native code).
 */
import { availableParallelism } from "node:os";
import { ModelUnsupportedError } from "../../errors/index.ts";

export type LlamaNodeBinding = typeof import("@fugood/llama.node");
export type NativeVisionContext = Awaited<ReturnType<LlamaNodeBinding["loadModel"]>>;

/** Resolved settings of one vision context. */
export interface VisionContextSettings {
  modelPath: string;
  mmprojPath: string;
  contextSize: number;
  threads: number;
  batchSize: number;
  useMmap: boolean;
  kvCacheType: "f32" | "f16" | "q8_0" | "q4_0";
  /** Most tokens one image may become (llama.cpp's default for the projector when undefined). */
  imageMaxTokens?: number;
}

let binding: Promise<LlamaNodeBinding> | undefined;

/**
 * The binding's entry file. Types come from the bare specifier (mapped to
 * declarations in the shared tsconfig); the runtime import names the file,
 * because tsx applies tsconfig `paths` at run time and would load the
 * declarations instead of the code.
 */
const BINDING_ENTRY: string = "@fugood/llama.node/lib/index.js";

/** The binding, loaded once per process. */
export function loadBinding(): Promise<LlamaNodeBinding> {
  binding ??= import(BINDING_ENTRY) as Promise<LlamaNodeBinding>;
  return binding;
}

/** `"auto"` threads: the machine's parallelism, at most 8. */
export function resolveThreads(threads: number | "auto" | undefined): number {
  if (threads === undefined || threads === "auto") return Math.max(1, Math.min(8, availableParallelism()));
  return threads;
}

/**
 * Loads the text model (one serial slot: the binding's parallel mode aborts the
 * process on a media error) and attaches the projector. A projector llama.cpp
 * refuses releases the context and throws MODEL_UNSUPPORTED.
 */
export async function openVisionContext(settings: VisionContextSettings): Promise<NativeVisionContext> {
  const llama = await loadBinding();
  let ctx: NativeVisionContext;
  try {
    ctx = await llama.loadModel({
      model: settings.modelPath,
      n_ctx: settings.contextSize,
      n_batch: settings.batchSize,
      n_ubatch: settings.batchSize,
      n_threads: settings.threads,
      n_parallel: 1,
      n_gpu_layers: 0,
      use_mmap: settings.useMmap,
      cache_type_k: settings.kvCacheType,
      cache_type_v: settings.kvCacheType,
      // Shifting the context would drop image tokens mid-prompt; the engine refuses long prompts instead.
      ctx_shift: false,
    });
  } catch (error) {
    throw new ModelUnsupportedError(
      `llama.cpp could not load ${settings.modelPath}: ${(error as Error).message}`,
      {
        cause: error,
        details: { reason: "load-failed", modelPath: settings.modelPath },
      },
    );
  }
  let ok = false;
  let cause: unknown;
  try {
    ok = ctx.initMultimodal({
      path: settings.mmprojPath,
      use_gpu: false,
      ...(settings.imageMaxTokens !== undefined ? { image_max_tokens: settings.imageMaxTokens } : {}),
    });
  } catch (error) {
    cause = error;
  }
  if (!ok || !ctx.getMultimodalSupport().vision) {
    await ctx.release().catch(() => {});
    throw new ModelUnsupportedError(
      `llama.cpp refused the projector ${settings.mmprojPath} for ${settings.modelPath}${cause ? `: ${(cause as Error).message}` : ""}`,
      { cause, details: { reason: "projector-refused", mmprojPath: settings.mmprojPath } },
    );
  }
  return ctx;
}
