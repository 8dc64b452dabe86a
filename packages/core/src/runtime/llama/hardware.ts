import { getLlamaGpuTypes } from "node-llama-cpp";
import { supportsBatchEmbedding } from "./embedders.ts";
import { type GpuSetting, getSharedLlama } from "./sharedLlama.ts";

/** What llama.cpp (through node-llama-cpp) finds on this machine. */
export interface HardwareReport {
  /** GPU backend the loaded binding uses (`"cuda"`, `"vulkan"`, `"metal"`), or `false` for CPU only. */
  gpu: string | false;
  /** GPU backends node-llama-cpp considers usable on this platform, whether or not their prebuilt is installed. */
  supportedGpuTypes: string[];
  /** Threads llama.cpp uses for math by default (the physical cores it detected). */
  cpuMathCores: number;
  /** Most threads llama.cpp allows. */
  maxThreads: number;
  /** CPU features the binding was built with and found, e.g. `AVX2`, `FMA`, `F16C`. */
  cpuFeatures: string[];
  /** llama.cpp's own system-info line. */
  systemInfo: string;
  /**
   * llama.cpp release of the binding, e.g. `b6500`; whether it is a prebuilt; and whether
   * Sluice's patch of the addon is compiled in (`scripts/setup.sh` builds it): one KV buffer
   * shared by a context's sequences, several embedding texts per decode, one decode thread per
   * process, greedy confidence and logprobs without sorting the vocabulary. The prebuilt
   * binaries work without it, slower.
   */
  llamaCpp: { release: string; build: "localBuild" | "prebuilt"; nativePatch: boolean };
  /** GPU memory when a GPU backend is in use. */
  vram?: { totalBytes: number; freeBytes: number };
}

/** Options of {@link describeHardware}. */
export interface DescribeHardwareOptions {
  /** The binding to describe: as `runtime.gpu` would pick it (`"auto"` probes GPU backends, `false` is the CPU binding). Defaults to `"auto"`. */
  gpu?: GpuSetting;
}

// Build options llama.cpp lists beside the CPU's instruction sets; they say nothing about the CPU.
const BUILD_OPTIONS = new Set(["LLAMAFILE", "REPACK", "OPENMP", "KLEIDIAI", "ACCELERATE"]);

/** The CPU features in llama.cpp's system info (`AVX2 = 1 | FMA = 1 | …`): the enabled ones it can use. */
export function cpuFeaturesOf(systemInfo: string): string[] {
  const features = new Set<string>();
  for (const match of systemInfo.matchAll(/([A-Z][A-Z0-9_]*)\s*=\s*1\b/g)) {
    const name = match[1] as string;
    if (!BUILD_OPTIONS.has(name)) features.add(name);
  }
  return [...features];
}

/**
 * Describes the hardware the llama.cpp binding sees: threads, CPU features,
 * GPU backend and VRAM. Loads the process-wide binding (without building
 * anything), so the first call takes a moment.
 */
export async function describeHardware(options: DescribeHardwareOptions = {}): Promise<HardwareReport> {
  const llama = await getSharedLlama({ gpu: options.gpu ?? "auto" });
  const report: HardwareReport = {
    gpu: llama.gpu,
    supportedGpuTypes: (await getLlamaGpuTypes("supported")).filter((t) => t !== false).map(String),
    cpuMathCores: llama.cpuMathCores,
    maxThreads: llama.maxThreads,
    cpuFeatures: cpuFeaturesOf(llama.systemInfo),
    systemInfo: llama.systemInfo,
    llamaCpp: {
      release: llama.llamaCppRelease.release,
      build: llama.buildType,
      nativePatch: supportsBatchEmbedding(llama),
    },
  };
  if (llama.gpu !== false) {
    const vram = await llama.getVramState();
    report.vram = { totalBytes: vram.total, freeBytes: vram.free };
  }
  return report;
}
