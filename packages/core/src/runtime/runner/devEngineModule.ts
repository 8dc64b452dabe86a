/**
 * A minimal in-process engine used by the runner's own tests while the llama
 * adapter is being written: greedy completion on one sequence per request.
 */
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { AbortedError, DisposedError } from "../../errors/index.ts";
import type {
  Engine,
  EngineFactory,
  EngineInfo,
  EngineLoadOptions,
  GenerateEvent,
  GenerateParams,
} from "../engine/Engine.ts";
import type { RunnerEngineModuleContext } from "./engineModule.ts";

export function createEngineFactory(context?: RunnerEngineModuleContext): EngineFactory {
  return {
    async load(options: EngineLoadOptions): Promise<Engine> {
      const llama = await getLlama({
        gpu: false,
        build: "never",
        logger: (level, message) =>
          context?.log(level === "warn" || level === "error" ? level : "debug", message),
      });
      const model = await llama.loadModel({ modelPath: options.modelPath, useMmap: options.useMmap ?? true });
      const sequences = options.sequences ?? 4;
      const ctx = await model.createContext({
        contextSize: (options.contextSize ?? 2048) * sequences,
        sequences,
        threads: options.threads === "auto" || options.threads === undefined ? 2 : options.threads,
        batchSize: options.batchSize ?? 512,
      });
      return new DevEngine(llama, model, ctx, options);
    },
  };
}

class DevEngine implements Engine {
  readonly info: EngineInfo;
  #disposed = false;
  #busy = 0;

  constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    options: EngineLoadOptions,
  ) {
    this.info = {
      modelPath: options.modelPath,
      architecture: String(model.fileInfo.metadata.general.architecture),
      contextSize: options.contextSize ?? 2048,
      sequences: options.sequences ?? 4,
      trainContextSize: model.trainContextSize,
      embeddingLength: model.embeddingVectorSize,
      fileSize: model.size,
    };
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  busySequences(): number {
    return this.#busy;
  }

  async *generate(params: GenerateParams, signal?: AbortSignal): AsyncIterable<GenerateEvent> {
    if (this.#disposed) throw new DisposedError("engine disposed");
    const started = performance.now();
    const sequence = this.context.getSequence();
    this.#busy++;
    try {
      const tokens = this.model.tokenize(params.prompt ?? "", true);
      const maxTokens = params.maxTokens ?? 256;
      const out: Token[] = [];
      let text = "";
      let firstAt = 0;
      let finishReason: "stop" | "length" | "abort" = "length";
      for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
        if (signal?.aborted) throw new AbortedError("generation aborted");
        if (this.model.isSpecialToken(token)) {
          finishReason = "stop";
          break;
        }
        if (out.length === 0) firstAt = performance.now();
        out.push(token);
        const piece = this.model.detokenize(out).slice(text.length);
        text += piece;
        yield { type: "token", text: piece };
        if (out.length >= maxTokens) break;
      }
      yield {
        type: "done",
        text,
        stats: {
          promptTokens: tokens.length,
          generatedTokens: out.length,
          timeToFirstTokenMs: firstAt - started,
          decodeMs: performance.now() - firstAt,
          finishReason,
        },
      };
    } finally {
      this.#busy--;
      sequence.dispose();
    }
  }

  async embed(): Promise<Float32Array[]> {
    return [new Float32Array([1, 2, 3])];
  }

  async tokenize(text: string): Promise<number[]> {
    return [...this.model.tokenize(text)];
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.context.dispose();
    await this.model.dispose();
    void this.llama;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
