import { stat } from "node:fs/promises";
import type { LlamaContextOptions, LlamaModel } from "node-llama-cpp";
import {
  AbortedError,
  isSluiceError,
  ModelNotFoundError,
  ModelUnsupportedError,
} from "../../errors/index.ts";
import { LOAD_DEFAULTS, MAX_STREAM_INTERVAL_MS } from "../defaults.ts";
import type { Engine, EngineFactory, EngineLoadOptions } from "../engine/index.ts";
import { prepareChat } from "./chatPrompt.ts";
import { createEmbedder, type Embedder } from "./embedders.ts";
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

/** Elements per block of llama.cpp's Q8_0 and Q4_0 types. */
const KV_QUANT_BLOCK = 32;

/**
 * Attention head size of a model from its GGUF metadata: `attention.key_length`,
 * else the embedding length over the head count. Undefined when not stated.
 */
function attentionHeadSize(model: Pick<LlamaModel, "fileInfo">): number | undefined {
  const metadata = model.fileInfo.metadata as unknown as Record<string, unknown>;
  const arch = String((metadata.general as { architecture?: unknown } | undefined)?.architecture ?? "");
  const hp = metadata[arch] as
    | { embedding_length?: number; attention?: { key_length?: number; head_count?: number | number[] } }
    | undefined;
  if (typeof hp?.attention?.key_length === "number") return hp.attention.key_length;
  const heads = hp?.attention?.head_count;
  const count = Array.isArray(heads) ? Math.max(0, ...heads) : heads;
  if (typeof hp?.embedding_length !== "number" || typeof count !== "number" || count <= 0) return undefined;
  return hp.embedding_length / count;
}

/**
 * A quantized KV cache stores each head's keys in whole Q8_0/Q4_0 blocks;
 * llama.cpp refuses heads that are not a multiple of the block, so say so
 * rather than report a failed context.
 */
function checkQuantizedKv(model: LlamaModel, kvCacheType: string, modelPath: string): void {
  const headSize = attentionHeadSize(model);
  if (headSize !== undefined && headSize % KV_QUANT_BLOCK !== 0)
    throw new ModelUnsupportedError(
      `kvCacheType ${kvCacheType} needs attention heads whose size is a multiple of ${KV_QUANT_BLOCK}; ${modelPath} has ${headSize}: use f16 or f32`,
      { details: { field: "kvCacheType", kvCacheType, headSize } },
    );
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
    const streamIntervalMs = checkInt(
      "streamIntervalMs",
      options.streamIntervalMs ?? LOAD_DEFAULTS.streamIntervalMs,
      0,
      MAX_STREAM_INTERVAL_MS,
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
    const embedders: Embedder[] = [];
    try {
      model = await llama.loadModel({
        modelPath: options.modelPath,
        useMmap: options.useMmap ?? true,
        loadSignal: signal,
      });
      prepareChat(model);
      const quantizedKv = kvCacheType === "q8_0" || kvCacheType === "q4_0";
      if (quantizedKv) checkQuantizedKv(model, kvCacheType, options.modelPath);
      const kv =
        kvCacheType === "f16"
          ? {}
          : {
              experimentalKvCacheKeyType: kvTypes[kvCacheType],
              experimentalKvCacheValueType: kvTypes[kvCacheType],
              // llama.cpp keeps a quantized V cache only with flash attention; without it every
              // context creation fails.
              ...(quantizedKv ? { flashAttention: true } : {}),
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
      for (let i = 0; i < embeddingContexts; i++)
        embedders.push(await createEmbedder(llama, model, { contextSize, threads, signal }));
      return new LlamaEngine({
        llama,
        model,
        context,
        embeddingContexts: embedders,
        sequenceReuse: options.sequenceReuse ?? true,
        streamIntervalMs,
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
          streamIntervalMs,
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
