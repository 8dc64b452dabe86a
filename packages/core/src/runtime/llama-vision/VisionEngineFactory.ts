import { ModelUnsupportedError } from "../../errors/index.ts";
import { validateGgufFile } from "../../models/gguf/validateGguf.ts";
import type { EngineFactory, EngineLoadOptions } from "../engine/Engine.ts";
import { checkVisionPair } from "./checkVisionPair.ts";
import { attachNativeLog, type NativeLogSink } from "./nativeLog.ts";
import { VisionEngine } from "./VisionEngine.ts";
import { resolveThreads, type VisionContextSettings } from "./visionContext.ts";
import type { VisionRequestLimits } from "./visionPrompt.ts";

/** Options of the in-process vision factory; all but the callbacks can cross into a runner as `engineOptions`. */
export interface VisionEngineFactoryOptions extends VisionRequestLimits {
  /** Most tokens one image may become. Defaults to the projector's own limit. */
  imageMaxTokens?: number;
  /** Receives llama.node's native log lines. Defaults to none (the native hook stays off). */
  log?: NativeLogSink;
  /**
   * Called when a failed completion has poisoned an engine's native context
   * (see VisionEngine); the process should be replaced. Defaults to none: the
   * engine is broken and refuses further work with DISPOSED.
   */
  onPoisoned?: (error: unknown) => void;
}

/** Vision defaults: the port's, except a context that holds a tiled 1024-pixel image and its answer. */
export const VISION_LOAD_DEFAULTS = {
  contextSize: 4096,
  batchSize: 512,
  useMmap: true,
  kvCacheType: "f16",
} as const;

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  return value;
}

/**
 * Loads LFM2-VL-style models (a text model and its `mmprojPath` projector)
 * with llama.node. In-process use is for the vision runner: llama.node and
 * node-llama-cpp each bundle their own llama.cpp and must not share a
 * process; the host reaches this factory through createVisionRunnerEngineFactory.
 */
export class VisionEngineFactory implements EngineFactory {
  readonly #options: VisionEngineFactoryOptions;

  constructor(options: VisionEngineFactoryOptions = {}) {
    if (options.maxImages !== undefined) checkInt("maxImages", options.maxImages, 1, 64);
    if (options.imageMaxTokens !== undefined) checkInt("imageMaxTokens", options.imageMaxTokens, 16, 1 << 16);
    this.#options = options;
  }

  async load(options: EngineLoadOptions): Promise<VisionEngine> {
    const mmprojPath = options.mmprojPath;
    if (mmprojPath === undefined)
      throw new ModelUnsupportedError(`${options.modelPath}: a vision model needs a projector (mmprojPath)`, {
        details: { reason: "no-projector", modelPath: options.modelPath },
      });
    const settings: VisionContextSettings = {
      modelPath: options.modelPath,
      mmprojPath,
      contextSize: checkInt(
        "contextSize",
        options.contextSize ?? VISION_LOAD_DEFAULTS.contextSize,
        256,
        1 << 20,
      ),
      threads: checkInt("threads", resolveThreads(options.threads), 1, 256),
      batchSize: checkInt("batchSize", options.batchSize ?? VISION_LOAD_DEFAULTS.batchSize, 32, 1 << 16),
      useMmap: options.useMmap ?? VISION_LOAD_DEFAULTS.useMmap,
      kvCacheType: options.kvCacheType ?? VISION_LOAD_DEFAULTS.kvCacheType,
      ...(this.#options.imageMaxTokens !== undefined ? { imageMaxTokens: this.#options.imageMaxTokens } : {}),
    };
    // Structure first (bounds, tensor data inside the file, architecture), so that
    // a malformed file never reaches llama.cpp; then whether the two fit together.
    await Promise.all([
      validateGgufFile(settings.modelPath, { expect: "model" }),
      validateGgufFile(mmprojPath, { expect: "projector" }),
    ]);
    const pair = await checkVisionPair(settings.modelPath, mmprojPath);
    const detach = this.#options.log ? await attachNativeLog(this.#options.log) : undefined;
    try {
      return await VisionEngine.open(settings, pair, this.#options, {
        ...(detach ? { onDispose: detach } : {}),
        ...(this.#options.onPoisoned ? { onPoisoned: this.#options.onPoisoned } : {}),
      });
    } catch (error) {
      await detach?.();
      throw error;
    }
  }
}
