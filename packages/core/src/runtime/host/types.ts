import type { EngineLoadOptions } from "../engine/index.ts";

/** Health of one model in the host. */
export type ModelHealth = "loading" | "ready" | "degraded" | "broken" | "unloaded";

/** A model id resolved to a verified local file (the model store's job). */
export interface ResolvedModel {
  path: string;
  sha256: string;
}

/** Resolves a model id to a verified file; rejects with MODEL_NOT_FOUND, MODEL_CORRUPT, DOWNLOAD_FAILED, … */
export type ModelResolver = (modelId: string, signal?: AbortSignal) => Promise<ResolvedModel>;

/** Engine options for a model, without its path. */
export type ModelLoadOptions = Omit<EngineLoadOptions, "modelPath">;

/** What memory-budget admission is asked before a load. */
export interface AdmissionRequest {
  modelId: string;
  path: string;
  sha256: string;
  options: ModelLoadOptions;
}

/** Memory reserved for a loaded model; released when the model unloads. */
export interface AdmissionGrant {
  release(): void;
}

/**
 * Memory-budget admission: reserve room for a model or reject with
 * OUT_OF_MEMORY_BUDGET. It may ask the host to unload idle models first
 * (ModelHost.unloadIdle). Returning undefined means "no reservation kept".
 */
export type Admit = (request: AdmissionRequest, signal?: AbortSignal) => Promise<AdmissionGrant | undefined>;

/** A change of a model's health. */
export interface ModelStateEvent {
  modelId: string;
  state: ModelHealth;
  previous: ModelHealth;
  /** The failure that caused a degraded or broken state. */
  error?: unknown;
}

/** A snapshot of one model in the host. */
export interface ModelStatus {
  modelId: string;
  state: ModelHealth;
  references: number;
  /** Milliseconds since the epoch of the last release (for LRU eviction). */
  lastUsedAt: number;
}
