export type MessagePart = {
    type: string;
    text?: string;
    image_url?: {
        url?: string;
    };
    input_audio?: {
        format: string;
        data?: string;
        url?: string;
    };
} & Record<string, any>;
export type ChatMessage = {
    role: string;
    content?: string | MessagePart[];
};
export type LlamaKvCacheType = 'f16' | 'f32' | 'q8_0' | 'q4_0' | 'q4_1' | 'iq4_nl' | 'q5_0' | 'q5_1';
export type LlamaModelOptions = {
    model: string;
    /**
     * Optional separate draft model path for MTP/speculative decoding.
     * Leave unset for embedded MTP models.
     */
    model_draft?: string;
    /**
     * Alias for model_draft.
     */
    draft_model?: string;
    chat_template?: string;
    embedding?: boolean;
    embd_normalize?: number;
    pooling_type?: 'none' | 'mean' | 'cls' | 'last' | 'rank';
    n_ctx?: number;
    n_batch?: number;
    n_ubatch?: number;
    /**
     * CPU affinity mask
     * Example: '0xfc'
     */
    cpu_mask?: string;
    cpu_strict?: boolean;
    /**
     * Number of parallel sequences to support (sets n_seq_max).
     * This determines the maximum number of parallel slots that can be used.
     * Default: 8
     */
    n_parallel?: number;
    n_threads?: number;
    n_gpu_layers?: number;
    flash_attn_type?: 'auto' | 'on' | 'off';
    flash_attn?: boolean;
    cache_type_k?: LlamaKvCacheType;
    cache_type_v?: LlamaKvCacheType;
    /**
     * Enable context shifting to handle prompts larger than context size
     */
    ctx_shift?: boolean;
    /**
     * Use a unified buffer across the input sequences when computing the attention.
     * Try to disable when n_seq_max > 1 for improved performance when the sequences do not share a large prefix.
     */
    kv_unified?: boolean;
    /**
     * Use full-size SWA cache (https://github.com/ggml-org/llama.cpp/pull/13194#issuecomment-2868343055)
     */
    swa_full?: boolean;
    /**
     * Number of layers to keep MoE weights on CPU
     */
    n_cpu_moe?: number;
    /**
     * Memory budget (MiB) for the cross-turn KV prefix cache on recurrent/hybrid
     * models. 0 disables it; no-op on pure-attention models. Default 160.
     */
    state_cache_budget_mb?: number;
    /**
     * Max snapshots to keep (secondary cap; the byte budget is primary).
     * 0 = no count cap. Default 8.
     */
    state_cache_max_checkpoints?: number;
    /**
     * List of device names to use for offloading
     * Device names can be obtained from getBackendDevicesInfo()
     * Example: ['Metal', 'BLAS', 'CPU']
     */
    devices?: string[];
    use_mlock?: boolean;
    use_mmap?: boolean;
    vocab_only?: boolean;
    /**
     * Disable extra buffer types for weight repacking.
     * Reduces memory usage at the cost of slower prompt processing.
     * Default: false
     */
    no_extra_bufts?: boolean;
    lora?: string;
    lora_scaled?: number;
    lora_list?: {
        path: string;
        scaled: number;
    }[];
    /**
     * RoPE base frequency, use 0 to use model default (recommended)
     */
    rope_freq_base?: number;
    /**
     * RoPE frequency scaling factor, use 0 to use model default (recommended)
     */
    rope_freq_scale?: number;
    /**
     * Enable speculative decoding support at context creation time.
     * MTP on recurrent/hybrid models must be enabled here so llama.cpp can
     * allocate recurrent-state rollback slots.
     */
    speculative?: LlamaSpeculativeOptions | SpeculativeType | boolean;
    spec_type?: SpeculativeType | SpeculativeType[];
    spec_draft_n_max?: number;
    spec_draft_n_min?: number;
    spec_draft_p_min?: number;
    spec_draft_p_split?: number;
    spec_draft_n_gpu_layers?: number;
    spec_draft_cache_type_k?: LlamaKvCacheType;
    spec_draft_cache_type_v?: LlamaKvCacheType;
};
export type CompletionResponseFormat = {
    type: 'text' | 'json_object' | 'json_schema';
    json_schema?: {
        strict?: boolean;
        schema: Record<string, any>;
    };
    schema?: Record<string, any>;
};
export type SpeculativeType = 'none' | 'draft-mtp'
/**
 * Alias for draft-mtp.
 */
 | 'mtp';
export type LlamaSpeculativeOptions = {
    enabled?: boolean;
    type?: SpeculativeType;
    types?: SpeculativeType[];
    n_max?: number;
    n_min?: number;
    p_min?: number;
    p_split?: number;
    draft?: {
        /**
         * Optional separate draft model path for MTP/speculative decoding.
         * When omitted, MTP uses the loaded target model's embedded draft layers.
         */
        model?: string;
        path?: string;
        model_draft?: string;
        draft_model?: string;
        n_max?: number;
        n_min?: number;
        p_min?: number;
        p_split?: number;
        n_gpu_layers?: number;
        cache_type_k?: LlamaKvCacheType;
        cache_type_v?: LlamaKvCacheType;
    };
};
export type LlamaCompletionOptions = {
    messages?: ChatMessage[];
    jinja?: boolean;
    reasoning_format?: 'none' | 'auto' | 'deepseek';
    chat_template?: string;
    /**
     * When enabled, forces the chat parser to treat the entire model output as
     * plain content, skipping separate parsing of reasoning tokens and tool calls.
     * Also bypasses jinja template validation so templates that only accept typed
     * content (e.g. TranslateGemma) are not rejected during capability detection.
     */
    force_pure_content?: boolean;
    response_format?: CompletionResponseFormat;
    tools?: Tool[];
    parallel_tool_calls?: boolean;
    tool_choice?: string;
    now?: string | number;
    chat_template_kwargs?: Record<string, string | boolean | number>;
    enable_thinking?: boolean;
    thinking_forced_open?: boolean;
    /**
     * Maximum number of tokens allowed inside a thinking block before forcing it to close.
     * Only applies when thinking tags are available.
     */
    thinking_budget_tokens?: number;
    /**
     * Message injected before the thinking end tag when the thinking budget is exhausted.
     */
    thinking_budget_message?: string;
    /**
     * Thinking start tag returned by getFormattedChat.
     * Only needed when you manually pass a preformatted prompt to completion().
     */
    thinking_start_tag?: string;
    /**
     * Thinking end tag returned by getFormattedChat.
     * Only needed when you manually pass a preformatted prompt to completion().
     */
    thinking_end_tag?: string;
    /**
     * Assistant generation prompt returned by jinja chat formatting.
     * Used for PEG chat parsing and grammar prefill.
     */
    generation_prompt?: string;
    /** Serialized PEG parser for chat output parsing (required for PEG format types) */
    chat_parser?: string;
    prompt?: string;
    /**
     * Text to prefill the response with.
     * This text will be added to the beginning of the generated response.
     */
    prefill_text?: string;
    temperature?: number;
    top_k?: number;
    top_p?: number;
    min_p?: number;
    mirostat?: number;
    mirostat_tau?: number;
    mirostat_eta?: number;
    penalty_last_n?: number;
    penalty_repeat?: number;
    penalty_freq?: number;
    penalty_present?: number;
    typ_p?: number;
    xtc_threshold?: number;
    xtc_probability?: number;
    dry_multiplier?: number;
    dry_base?: number;
    dry_allowed_length?: number;
    dry_penalty_last_n?: number;
    dry_sequence_breakers?: string[];
    top_n_sigma?: number;
    n_predict?: number;
    max_length?: number;
    max_tokens?: number;
    seed?: number;
    stop?: string[];
    grammar?: string;
    grammar_lazy?: boolean;
    grammar_triggers?: {
        type: number;
        value: string;
        token?: number;
    }[];
    preserved_tokens?: string[];
    json_schema?: string;
    logit_bias?: number[][];
    ignore_eos?: boolean;
    /**
     * Path(s) to media file(s) to process before generating text.
     * When provided, the media will be processed and added to the context.
     * Requires multimodal support to be enabled via initMultimodal.
     * Supports both file paths and base64 data URLs.
     */
    media_paths?: string | string[];
    /**
     * Guide tokens to use for audio completion.
     * Help prevent hallucinations by forcing the TTS to use the correct words.
     */
    guide_tokens?: number[] | Int32Array;
    /**
     * Number of top token probabilities to return for each generated token.
     * When > 0, completion_probabilities will be included in streaming callbacks and final result.
     */
    n_probs?: number;
    /**
     * Per-completion speculative decoding override. For MTP on recurrent/hybrid
     * models, load the model with matching MTP options first.
     */
    speculative?: LlamaSpeculativeOptions | SpeculativeType | boolean;
    spec_type?: SpeculativeType | SpeculativeType[];
    spec_draft_n_max?: number;
    spec_draft_n_min?: number;
    spec_draft_p_min?: number;
    spec_draft_p_split?: number;
};
/**
 * Parameters for parallel completion requests (queueCompletion).
 * Extends LlamaCompletionOptions with parallel-mode specific options.
 */
export type LlamaParallelCompletionOptions = LlamaCompletionOptions & {
    /**
     * File path to load session state from before processing.
     * This allows you to resume from a previously saved completion state.
     * Use with `save_state_path` to enable conversation continuity across requests.
     * Example: `'/path/to/session.bin'` or `'file:///path/to/session.bin'`
     */
    load_state_path?: string;
    /**
     * File path to save session state to after completion.
     * The session state will be saved to this file path when the completion finishes.
     * You can then pass this path to `load_state_path` in a subsequent request to resume.
     * For multimodal conversations a `<path>.meta` sidecar file is written next
     * to the state file (media identity); keep the two files together.
     * Example: `'/path/to/session.bin'` or `'file:///path/to/session.bin'`
     */
    save_state_path?: string;
    /**
     * File path to save prompt-only state to after prompt processing.
     * Useful for fast prompt reuse (especially for recurrent/hybrid models).
     * Example: `'/path/to/prompt_state.bin'` or `'file:///path/to/prompt_state.bin'`
     */
    save_prompt_state_path?: string;
    /**
     * Number of tokens to load when loading state.
     * If not specified or <= 0, all tokens from the state file will be loaded.
     * Use this to limit how much of a saved state is restored.
     * Example: `512` to load only the first 512 tokens from the state file
     */
    load_state_size?: number;
    /**
     * Number of tokens to save when saving session state.
     * If not specified or <= 0, all tokens will be saved.
     * Use this to limit the size of saved session files.
     * Example: `512` to save only the last 512 tokens
     */
    save_state_size?: number;
};
export type TokenProbability = {
    tok_str: string;
    prob: number;
};
export type CompletionProbability = {
    content: string;
    probs: TokenProbability[];
};
export type LlamaCompletionResult = {
    text: string;
    reasoning_content?: string;
    content?: string;
    chat_format: number;
    tokens_predicted: number;
    tokens_evaluated: number;
    draft_tokens?: number;
    draft_tokens_accepted?: number;
    truncated: boolean;
    context_full: boolean;
    interrupted: boolean;
    audio_tokens?: Array<number>;
    completion_probabilities?: CompletionProbability[];
    timings: {
        prompt_n: number;
        prompt_ms: number;
        prompt_per_token_ms: number;
        prompt_per_second: number;
        predicted_n: number;
        predicted_ms: number;
        predicted_per_token_ms: number;
        predicted_per_second: number;
    };
};
export type LlamaCompletionToken = {
    token: string;
    content?: string;
    reasoning_content?: string;
    tool_calls?: ToolCall[];
    accumulated_text?: string;
    completion_probabilities?: CompletionProbability[];
};
/**
 * Result from a parallel completion request (queueCompletion callback).
 * Extends the basic completion result with per-slot timing information.
 */
export type LlamaParallelCompletionResult = {
    requestId: number;
    text: string;
    reasoning_content?: string;
    content?: string;
    tool_calls?: ToolCall[];
    chat_format: number;
    stopped_eos: boolean;
    stopped_limit: boolean;
    stopped_word: boolean;
    context_full: boolean;
    tokens_evaluated: number;
    tokens_predicted: number;
    draft_tokens?: number;
    draft_tokens_accepted?: number;
    timings: {
        cache_n: number;
        prompt_n: number;
        prompt_ms: number;
        prompt_per_token_ms: number;
        prompt_per_second: number;
        predicted_n: number;
        predicted_ms: number;
        predicted_per_token_ms: number;
        predicted_per_second: number;
    };
};
export type TokenizeResult = {
    tokens: Int32Array;
    has_media: boolean;
    bitmap_hashes: string[];
    chunk_pos: number[];
    chunk_pos_media: number[];
};
export type EmbeddingResult = {
    embedding: Float32Array;
};
export type RerankParams = {
    normalize?: number;
};
export type RerankResult = {
    score: number;
    index: number;
};
export type BackendDeviceInfo = {
    backend: string;
    type: string;
    deviceName: string;
    maxMemorySize: number;
    metadata?: Record<string, any>;
};
export type BenchResult = {
    /** Maximum KV cache size */
    nKvMax: number;
    /** Batch size */
    nBatch: number;
    /** Micro-batch size */
    nUBatch: number;
    /** Flash attention type (0=disabled, 1=enabled, 2=auto) */
    flashAttn: number;
    /** Whether prompt processing is shared */
    isPpShared: boolean;
    /** Number of GPU layers */
    nGpuLayers: number;
    /** Number of threads */
    nThreads: number;
    /** Number of threads for batch processing */
    nThreadsBatch: number;
    /** Prompt processing tokens count */
    pp: number;
    /** Text generation tokens count */
    tg: number;
    /** Parallel level */
    pl: number;
    /** KV cache used */
    nKv: number;
    /** Time for prompt processing (ms) */
    tPp: number;
    /** Speed of prompt processing (tokens/sec) */
    speedPp: number;
    /** Time for text generation (ms) */
    tTg: number;
    /** Speed of text generation (tokens/sec) */
    speedTg: number;
    /** Total time (ms) */
    t: number;
    /** Overall speed (tokens/sec) */
    speed: number;
};
export type ModelInfo = {
    desc: string;
    nEmbd: number;
    nParams: number;
    size: number;
    is_recurrent: boolean;
    is_hybrid: boolean;
    chatTemplates: {
        llamaChat: boolean;
        jinja: {
            default: boolean;
            defaultCaps: {
                tools: boolean;
                toolCalls: boolean;
                systemRole: boolean;
                parallelToolCalls: boolean;
            };
            toolUse: boolean;
            toolUseCaps?: {
                tools: boolean;
                toolCalls: boolean;
                systemRole: boolean;
                parallelToolCalls: boolean;
            };
        };
    };
    metadata: Record<string, string>;
    isChatTemplateSupported: boolean;
};
export type GGUFModelInfo = {
    version?: number;
    alignment?: number;
    data_offset?: number;
    [key: string]: string | number | undefined;
};
export type FormattedChatResult = {
    type: 'jinja' | 'llama-chat';
    prompt: string;
    has_media: boolean;
    media_paths?: Array<string>;
};
export type JinjaFormattedChatResult = {
    prompt: string;
    chat_format: number;
    grammar: string;
    grammar_lazy: boolean;
    grammar_triggers: Array<{
        type: number;
        value: string;
        token: number;
    }>;
    generation_prompt?: string;
    thinking_forced_open?: boolean;
    thinking_start_tag?: string;
    thinking_end_tag?: string;
    preserved_tokens: string[];
    additional_stops: string[];
    /** Serialized PEG parser for chat output parsing (required for PEG format types) */
    chat_parser: string;
};
export type Tool = {
    type: 'function';
    function: {
        name: string;
        description: string;
        parameters: Record<string, any>;
    };
};
export type ToolCall = {
    type: 'function';
    function: {
        name: string;
        arguments: string;
    };
    id?: string;
};
export type ParallelRequestStatus = {
    request_id: number;
    type: 'completion' | 'embedding' | 'rerank';
    state: 'queued' | 'processing_prompt' | 'generating' | 'done';
    prompt_length: number;
    tokens_generated: number;
    prompt_ms: number;
    generation_ms: number;
    tokens_per_second: number;
};
export type ParallelStatus = {
    n_parallel: number;
    active_slots: number;
    queued_requests: number;
    requests: ParallelRequestStatus[];
};
export interface LlamaContext {
    new (options: LlamaModelOptions, onProgress?: (progress: number) => void): LlamaContext;
    getSystemInfo(): string;
    getModelInfo(): ModelInfo;
    getUsedDevices(): string[];
    getFormattedChat(messages: ChatMessage[], chat_template?: string, params?: {
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
    }): JinjaFormattedChatResult | string;
    completion(options: LlamaCompletionOptions, callback?: (token: LlamaCompletionToken) => void): Promise<LlamaCompletionResult>;
    stopCompletion(): void;
    tokenize(text: string, media_paths?: string[]): Promise<TokenizeResult>;
    detokenize(tokens: number[]): Promise<string>;
    embedding(text: string, params?: {
        embd_normalize?: number;
    }): Promise<EmbeddingResult>;
    rerank(query: string, documents: string[], params?: RerankParams): Promise<RerankResult[]>;
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
    /**
     * Initialize multimodal support with a mmproj file
     * @param options Object containing path and optional use_gpu flag
     * @param options.path Path to the multimodal projector model file (mmproj)
     * @param options.use_gpu Whether to use GPU for multimodal processing (default: true)
     * @param options.image_min_tokens Minimum number of tokens for image input (for dynamic resolution models)
     * @param options.image_max_tokens Maximum number of tokens for image input (for dynamic resolution models).
     *                                  Lower values reduce memory usage and improve speed for high-resolution images.
     *                                  Recommended: 256-512 for faster inference, up to 4096 for maximum detail.
     * @returns boolean indicating if initialization was successful
     */
    initMultimodal(options: {
        path: string;
        use_gpu?: boolean;
        image_min_tokens?: number;
        image_max_tokens?: number;
    }): boolean;
    /**
     * Check if multimodal support is enabled
     * @returns boolean indicating if multimodal is enabled
     */
    isMultimodalEnabled(): boolean;
    /**
     * Get multimodal support capabilities
     * @returns Object with vision and audio support
     */
    getMultimodalSupport(): {
        vision: boolean;
        audio: boolean;
    };
    /**
     * Release multimodal support
     */
    releaseMultimodal(): void;
    /**
     * Load a vocoder model
     * @param options Object containing path and optional n_batch
     * @returns boolean indicating if loading was successful
     */
    initVocoder(options: {
        path: string;
        n_batch?: number;
    }): boolean;
    /**
     * Unload the vocoder model
     */
    releaseVocoder(): void;
    /**
     * Check if the vocoder model is enabled
     * @returns boolean indicating if the vocoder model is enabled
     */
    isVocoderEnabled(): boolean;
    /**
     * Get the formatted prompt for audio completion
     * @param speaker Speaker name or null
     * @param text Text to complete
     * @returns Formatted audio completion
     */
    getFormattedAudioCompletion(speaker: string | null, text: string): {
        prompt: string;
        grammar?: string;
    };
    /**
     * Get guide tokens for audio completion
     * @param text Text to complete
     * @returns Guide tokens
     */
    getAudioCompletionGuideTokens(text: string): Int32Array;
    /**
     * Decode audio tokens to audio data
     * @param tokens Tokens to decode
     * @returns Promise resolving to decoded audio tokens
     */
    decodeAudioTokens(tokens: number[] | Int32Array): Promise<Float32Array>;
    /**
     * Enable parallel decoding mode
     * @param params Configuration for parallel mode
     * @returns boolean indicating if successful
     */
    enableParallelMode(params: {
        n_parallel?: number;
        n_batch?: number;
    }): boolean;
    /**
     * Disable parallel decoding mode
     */
    disableParallelMode(): void;
    /**
     * Queue a completion request for parallel processing
     * @param options Completion options with parallel-specific state management
     * @param callback Optional callback that receives tokens during generation and final result
     * @returns Object with requestId
     */
    queueCompletion(options: LlamaParallelCompletionOptions, callback?: (error: any, result: LlamaParallelCompletionResult) => void): {
        requestId: number;
    };
    /**
     * Queue an embedding request for parallel processing
     * @param text Text to embed
     * @param params Optional embedding parameters
     * @param callback Optional result callback
     * @returns Object with requestId
     */
    queueEmbedding(text: string, params?: {
        embd_normalize?: number;
    }, callback?: (error: any, result: any) => void): {
        requestId: number;
    };
    /**
     * Queue a rerank request for parallel processing
     * @param query Query text
     * @param documents Documents to rank
     * @param params Optional rerank parameters
     * @param callback Optional result callback
     * @returns Object with requestId
     */
    queueRerank(query: string, documents: string[], params?: RerankParams, callback?: (error: any, result: any) => void): {
        requestId: number;
    };
    /**
     * Cancel a queued request
     * @param requestId Request ID to cancel
     */
    cancelRequest(requestId: number): void;
    /**
     * Get current parallel processing status (one-time snapshot)
     * @returns Current parallel status
     */
    getParallelStatus(): ParallelStatus;
    /**
     * Subscribe to parallel processing status changes
     * @param callback Called whenever parallel status changes
     * @returns Subscriber ID that can be used to unsubscribe
     */
    subscribeParallelStatus(callback: (status: ParallelStatus) => void): {
        subscriberId: number;
    };
    /**
     * Unsubscribe from parallel processing status changes
     * @param subscriberId Subscriber ID returned from subscribeParallelStatus
     */
    unsubscribeParallelStatus(subscriberId: number): void;
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
     * @returns Benchmark results
     */
    bench(pp: number, tg: number, pl: number, nr: number): Promise<BenchResult>;
    loadModelInfo(path: string, skip: string[]): Promise<GGUFModelInfo>;
    toggleNativeLog(enable: boolean, callback: (level: string, text: string) => void): void;
    /**
     * Get information about available backend devices
     * @returns Array of backend device information
     */
    getBackendDevicesInfo(): BackendDeviceInfo[];
}
export interface Module {
    LlamaContext: LlamaContext;
}
export type LibVariant = 'default' | 'vulkan' | 'cuda' | 'snapdragon';
export declare const loadModule: (variant?: LibVariant) => Promise<Module>;
export declare const isLibVariantAvailable: (variant?: LibVariant) => Promise<boolean>;
