import { LlamaModelOptions } from './binding';
import type { Module, LlamaContext, LibVariant, ChatMessage, LlamaCompletionOptions, LlamaCompletionToken, LlamaCompletionResult, TokenizeResult, EmbeddingResult, RerankParams, RerankResult, CompletionResponseFormat, ModelInfo, JinjaFormattedChatResult, Tool, GGUFModelInfo, BenchResult } from './binding';
import { LlamaParallelAPI } from './parallel';
export * from './binding';
export { LlamaParallelAPI };
export interface LlamaModelOptionsExtended extends LlamaModelOptions {
    lib_variant?: LibVariant;
}
export declare const toggleNativeLog: (enable: boolean) => Promise<void>;
export declare const isNativeLogEnabled: () => boolean;
export declare function addNativeLogListener(listener: (level: string, text: string) => void): {
    remove: () => void;
};
export type FormattedChatResult = {
    type: 'llama-chat';
    prompt: string;
    has_media: boolean;
    media_paths?: Array<string>;
} | ({
    type: 'jinja';
    has_media: boolean;
    media_paths?: Array<string>;
} & JinjaFormattedChatResult);
declare class LlamaContextWrapper {
    ctx: LlamaContext;
    parallel: LlamaParallelAPI;
    constructor(nativeCtx: LlamaContext);
    getSystemInfo(): string;
    getModelInfo(): ModelInfo;
    getUsedDevices(): string[];
    isJinjaSupported(): boolean;
    isLlamaChatSupported(): boolean;
    getFormattedChat(messages: ChatMessage[], template?: string, params?: {
        jinja?: boolean;
        response_format?: CompletionResponseFormat;
        tools?: Tool[];
        parallel_tool_calls?: boolean;
        tool_choice?: string;
        enable_thinking?: boolean;
        reasoning_format?: 'none' | 'auto' | 'deepseek';
        add_generation_prompt?: boolean;
        now?: string | number;
        chat_template_kwargs?: Record<string, string>;
        force_pure_content?: boolean;
    }): FormattedChatResult;
    completion(options: LlamaCompletionOptions, callback?: (token: LlamaCompletionToken) => void): Promise<LlamaCompletionResult>;
    stopCompletion(): void;
    tokenize(text: string, { media_paths }?: {
        media_paths?: string[];
    }): Promise<TokenizeResult>;
    detokenize(tokens: number[]): Promise<string>;
    embedding(text: string, params?: {
        embd_normalize?: number;
    }): Promise<EmbeddingResult>;
    rerank(query: string, documents: string[], params?: RerankParams): Promise<Array<RerankResult & {
        document: string;
    }>>;
    saveSession(path: string): Promise<void>;
    loadSession(path: string): Promise<void>;
    release(): Promise<void>;
    applyLoraAdapters(adapters: {
        path: string;
        scaled: number;
    }[]): void;
    removeLoraAdapters(): void;
    getLoadedLoraAdapters(): {
        path: string;
        scaled: number;
    }[];
    initMultimodal(options: {
        path: string;
        use_gpu?: boolean;
        image_min_tokens?: number;
        image_max_tokens?: number;
    }): boolean;
    isMultimodalEnabled(): boolean;
    releaseMultimodal(): void;
    getMultimodalSupport(): {
        vision: boolean;
        audio: boolean;
    };
    initVocoder(options: {
        path: string;
        n_batch?: number;
    }): boolean;
    releaseVocoder(): void;
    isVocoderEnabled(): boolean;
    getFormattedAudioCompletion(speaker: string | null, text: string): {
        prompt: string;
        grammar?: string;
    };
    getAudioCompletionGuideTokens(text: string): Int32Array;
    decodeAudioTokens(tokens: number[] | Int32Array): Promise<Float32Array>;
    /**
     * Clear the KV and recurrent caches.
     * This is faster than recreating the context and useful for preventing
     * cache contamination between chat sessions.
     * @param clearData If true, also clears the cache data (default: false)
     */
    clearCache(clearData?: boolean): void;
    /**
     * Run a benchmark to measure model performance
     * @param pp Number of tokens to process for prompt processing benchmark
     * @param tg Number of tokens to generate for text generation benchmark
     * @param pl Parallel level (number of sequences)
     * @param nr Number of repetitions
     * @returns Benchmark results including timing and speed metrics
     */
    bench(pp: number, tg: number, pl: number, nr: number): Promise<BenchResult>;
}
export declare const loadModel: (options: LlamaModelOptionsExtended, onProgress?: (progress: number) => void) => Promise<LlamaContextWrapper>;
export declare const initLlama: (variant?: LibVariant) => Promise<Module>;
export declare const loadLlamaModelInfo: (path: string) => Promise<GGUFModelInfo>;
export declare const getBackendDevicesInfo: (variant?: LibVariant) => Promise<import("./binding").BackendDeviceInfo[]>;
export declare const BuildInfo: {
    number: string;
    commit: string;
};
