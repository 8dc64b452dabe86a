import type { LlamaContext, LlamaCompletionToken, RerankParams, ParallelStatus, LlamaParallelCompletionOptions } from './binding';
export declare class LlamaParallelAPI {
    private context;
    private enabled;
    private pendingRequests;
    constructor(context: LlamaContext);
    /**
     * Enable parallel decoding mode
     * @param config Configuration for parallel mode
     * @returns boolean indicating if successful
     */
    enable(config?: {
        n_parallel?: number;
        n_batch?: number;
    }): Promise<boolean>;
    /**
     * Disable parallel decoding mode
     */
    disable(): void;
    /**
     * Configure parallel decoding mode (enables if not already enabled)
     * @param config Configuration for parallel mode
     * @returns boolean indicating if successful
     */
    configure(config: {
        n_parallel?: number;
        n_batch?: number;
    }): Promise<boolean>;
    /**
     * Queue a completion request for parallel processing
     * @param options Completion options
     * @param onToken Optional callback for each token
     * @returns Object with requestId, promise for result, and stop function
     */
    completion(options: LlamaParallelCompletionOptions, onToken?: (requestId: number, data: LlamaCompletionToken) => void): Promise<{
        requestId: number;
        promise: Promise<any>;
        stop: () => void;
    }>;
    /**
     * Queue an embedding request for parallel processing
     * @param text Text to embed
     * @param params Optional embedding parameters
     * @returns Object with requestId and promise for result
     */
    embedding(text: string, params?: {
        embd_normalize?: number;
    }): Promise<{
        requestId: number;
        promise: Promise<{
            embedding: number[];
        }>;
    }>;
    /**
     * Queue a rerank request for parallel processing
     * @param query Query text
     * @param documents Documents to rank
     * @param params Optional rerank parameters
     * @returns Object with requestId and promise for results
     */
    rerank(query: string, documents: string[], params?: RerankParams): Promise<{
        requestId: number;
        promise: Promise<Array<{
            score: number;
            index: number;
            document: string;
        }>>;
    }>;
    /**
     * Check if parallel mode is enabled
     */
    isEnabled(): boolean;
    /**
     * Get current parallel processing status (one-time snapshot)
     * @returns Current parallel status
     */
    getStatus(): ParallelStatus;
    /**
     * Subscribe to parallel processing status changes
     * @param callback Called whenever parallel status changes
     * @returns Object with remove() method to unsubscribe
     */
    subscribeToStatus(callback: (status: ParallelStatus) => void): {
        remove: () => void;
    };
}
