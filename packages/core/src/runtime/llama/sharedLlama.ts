import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";

/** GPU backend of the binding: `false` = CPU only, `"auto"` = the best one whose prebuilt is installed, or a named one. */
export type GpuSetting = false | "auto" | "cuda" | "vulkan" | "metal";

/** How the process-wide Llama binding is obtained. */
export interface SharedLlamaOptions {
  /**
   * `false` = CPU only; `"auto"` = the best GPU backend whose prebuilt binary
   * is installed, else the CPU; `"cuda"`, `"vulkan"` or `"metal"` = that
   * backend or a failed load (never a silent fall back to the CPU). Defaults to `false`.
   */
  gpu?: GpuSetting;
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
    llama = getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false }).then(
      (l) => {
        // node-llama-cpp answers a backend this platform never has (metal on Linux) with the CPU
        // binding; a named backend is that backend or a failed start.
        if (gpu !== false && gpu !== "auto" && l.gpu !== gpu)
          throw new Error(
            `the ${gpu} backend is not available here; the binding runs on ${l.gpu || "the CPU"}`,
          );
        return l;
      },
    );
    // A failed start must not poison later attempts.
    llama.catch(() => instances.delete(key));
    instances.set(key, llama);
  }
  return llama;
}
