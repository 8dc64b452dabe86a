import { stat } from "node:fs/promises";
import type { LlamaContextOptions, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import {
  AbortedError,
  isSluiceError,
  ModelNotFoundError,
  ModelUnsupportedError,
} from "../../errors/index.ts";
import { LOAD_DEFAULTS } from "../defaults.ts";
import type { Engine, EngineFactory, EngineLoadOptions } from "../engine/index.ts";
import { prepareChat } from "./chatPrompt.ts";
import { LlamaEngine } from "./LlamaEngine.ts";
import { guardOutputReorder } from "./outputReorderGuard.ts";
import { getSharedLlama, type SharedLlamaOptions } from "./sharedLlama.ts";
import { acquireThreadGovernor } from "./threadGovernor.ts";

/** Options of the in-process node-llama-cpp engine factory. */
export interface LlamaEngineFactoryOptions extends SharedLlamaOptions {
  /** Most threads `"auto"` resolves to. Defaults to `8`. */
  maxAutoThreads?: number;
}

/**
 * Threads `"auto"` starts with: every physical core (at most `max`). Decode is
 * memory-bound, and on an idle 2-core machine two threads read the weights
 * ~40 % faster than one. Contention is handled while running, not by leaving a
 * core idle up front: see ThreadGovernor.
 */
export function autoThreads(physicalCores: number, max = 8): number {
  return Math.max(1, Math.min(max, physicalCores));
}

// Resolved defaults of EngineLoadOptions live with the other defaults; re-exported for old importers.
export { LOAD_DEFAULTS };

const kvTypes = { f32: "F32", f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0" } as const;

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

/**
 * Loads GGUF models in this process through node-llama-cpp. The native
 * binding is shared by every engine of the process; each engine owns its
 * model and contexts.
 */
export class LlamaEngineFactory implements EngineFactory {
  readonly #options: LlamaEngineFactoryOptions;

  constructor(options: LlamaEngineFactoryOptions = {}) {
    this.#options = options;
  }

  async load(options: EngineLoadOptions, signal?: AbortSignal): Promise<Engine> {
    const contextSize = checkInt(
      "contextSize",
      options.contextSize ?? LOAD_DEFAULTS.contextSize,
      16,
      1 << 20,
    );
    const sequences = checkInt("sequences", options.sequences ?? LOAD_DEFAULTS.sequences, 1, 256);
    const batchSize = checkInt("batchSize", options.batchSize ?? LOAD_DEFAULTS.batchSize, 1, 1 << 16);
    const embeddingContexts = checkInt(
      "embeddingContexts",
      options.embeddingContexts ?? LOAD_DEFAULTS.embeddingContexts,
      0,
      64,
    );
    const kvCacheType = options.kvCacheType ?? LOAD_DEFAULTS.kvCacheType;
    if (!(kvCacheType in kvTypes))
      throw new RangeError(`kvCacheType must be f32, f16, q8_0 or q4_0, got ${kvCacheType}`);
    if (signal?.aborted) throw new AbortedError("the load was aborted");

    const fileSize = await stat(options.modelPath).then(
      (s) => s.size,
      (err: unknown) => {
        throw new ModelNotFoundError(`no model file at ${options.modelPath}`, { cause: err });
      },
    );
    const llama = await getSharedLlama(this.#options).catch((err: unknown) => {
      // A named GPU backend whose prebuilt is missing or unusable: the caller must change runtime.gpu or install it.
      throw new ModelUnsupportedError(
        `the llama.cpp binding for gpu ${String(this.#options.gpu ?? false)} could not be loaded: ${(err as Error)?.message ?? String(err)}`,
        { cause: err, details: { gpu: this.#options.gpu ?? false } },
      );
    });
    const auto = options.threads === undefined || options.threads === "auto";
    const threads = auto
      ? autoThreads(llama.cpuMathCores, this.#options.maxAutoThreads ?? 8)
      : checkInt("threads", options.threads as number, 1, 1024);
    // "auto" engines share one governor that lowers llama.maxThreads while other processes hold cores.
    const releaseGovernor = auto ? acquireThreadGovernor(llama, threads) : undefined;

    let model: LlamaModel | undefined;
    const embedders: LlamaEmbeddingContext[] = [];
    try {
      model = await llama.loadModel({
        modelPath: options.modelPath,
        useMmap: options.useMmap ?? true,
        loadSignal: signal,
      });
      prepareChat(model);
      const kv =
        kvCacheType === "f16"
          ? {}
          : {
              experimentalKvCacheKeyType: kvTypes[kvCacheType],
              experimentalKvCacheValueType: kvTypes[kvCacheType],
            };
      const contextOptions: LlamaContextOptions = {
        contextSize,
        sequences,
        batchSize,
        threads,
        createSignal: signal,
        failedCreationRemedy: false,
        ...kv,
      };
      // node-llama-cpp caps a context's threads at llama.maxThreads when it is created; the
      // governor may have lowered that for a busy machine, so lift it for the creation.
      if (auto && llama.maxThreads < threads) llama.maxThreads = threads;
      const context = await model.createContext(contextOptions);
      // Co-batched sequences must sample their own logits: see outputReorderGuard.ts.
      if (!guardOutputReorder(context) && sequences > 1)
        process.emitWarning(
          "this node-llama-cpp build is not the one Sluice pins: co-batched sequences are not guarded against llama.cpp's unlocked output reorder, and may read each other's logits",
          { code: "SLUICE_OUTPUT_REORDER_UNGUARDED" },
        );
      for (let i = 0; i < embeddingContexts; i++) {
        // A whole text must fit one batch for pooled embeddings.
        embedders.push(
          await model.createEmbeddingContext({
            contextSize,
            batchSize: contextSize,
            threads,
            createSignal: signal,
          }),
        );
      }
      return new LlamaEngine({
        llama,
        model,
        context,
        embeddingContexts: embedders,
        sequenceReuse: options.sequenceReuse ?? true,
        onDispose: releaseGovernor,
        info: {
          modelPath: options.modelPath,
          architecture: String(model.fileInfo.metadata.general?.architecture ?? "unknown"),
          contextSize: context.contextSize,
          sequences,
          trainContextSize: model.trainContextSize,
          embeddingLength: model.embeddingVectorSize,
          fileSize,
          threads,
          batchSize,
          gpu: llama.gpu,
        },
      });
    } catch (err) {
      releaseGovernor?.();
      for (const e of embedders) await e.dispose().catch(() => undefined);
      await model?.dispose().catch(() => undefined);
      if (isSluiceError(err)) throw err;
      if (signal?.aborted) throw new AbortedError("the load was aborted", { cause: err });
      throw new ModelUnsupportedError(`llama.cpp could not load ${options.modelPath}`, { cause: err });
    }
  }
}
