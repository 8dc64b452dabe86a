import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";

/** How the process-wide Llama binding is obtained. */
export interface SharedLlamaOptions {
  /** `false` = CPU only; `"auto"` = the best GPU backend whose prebuilt binary is installed. Defaults to `false`. */
  gpu?: false | "auto";
}

const instances = new Map<string, Promise<Llama>>();

/**
 * One Llama binding per process and GPU mode, created on first use. Loading
 * the native addon twice wastes memory and thread pools, and building from
 * source at runtime is never wanted (`build: "never"`).
 */
export function getSharedLlama(options: SharedLlamaOptions = {}): Promise<Llama> {
  const gpu = options.gpu ?? false;
  const key = String(gpu);
  let llama = instances.get(key);
  if (!llama) {
    llama = getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
    // A failed start must not poison later attempts.
    llama.catch(() => instances.delete(key));
    instances.set(key, llama);
  }
  return llama;
}
