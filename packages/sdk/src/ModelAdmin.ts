import { ModelNotFoundError } from "@sluice/core";
import type { ModelMemoryReport } from "./ModelMemory.ts";
import type { ModelSlot } from "./ModelSlot.ts";
import type { PullProgress, ResolvedModelFile } from "./options.ts";
import type { ModelStatus } from "./types.ts";

/** Audit hook: admin and model operations are recorded by the composition root. */
export type AdminAuditListener = (
  action: string,
  model: string,
  outcome: "success" | "failure",
  detail?: Record<string, unknown>,
  actor?: string,
) => void;

/** Who asks for an admin operation, for the audit log. */
export interface AdminCallOptions {
  /** API key id or `cli`. Defaults to `system`. */
  actor?: string;
}

/** Model administration: list, status, load, unload, verify, pull. */
export class ModelAdmin {
  readonly #slots: ReadonlyMap<string, ModelSlot>;
  readonly #defaultId: string;
  readonly #audit: AdminAuditListener;
  readonly #queue: (id: string) => { running: number; queued: number };
  readonly #memory: (id: string) => ModelMemoryReport | undefined;

  /** @internal Built by createSluice. */
  constructor(
    slots: ReadonlyMap<string, ModelSlot>,
    defaultId: string,
    audit: AdminAuditListener,
    queue: (id: string) => { running: number; queued: number },
    memory: (id: string) => ModelMemoryReport | undefined = () => undefined,
  ) {
    this.#queue = queue;
    this.#memory = memory;
    this.#slots = slots;
    this.#defaultId = defaultId;
    this.#audit = audit;
  }

  /** Every configured model with its state. */
  list(): ModelStatus[] {
    return [...this.#slots.keys()].map((id) => this.status(id));
  }

  status(id: string): ModelStatus {
    const status = this.#slot(id).status(
      id === this.#defaultId,
      this.#queue(id).running,
      this.#queue(id).queued,
    );
    const memory = this.#memory(id);
    return memory ? { ...status, memory } : status;
  }

  /** Loads the model (resolving it first) and keeps it loaded until unload(); resolves when it is ready. */
  async load(id: string, options: AdminCallOptions = {}): Promise<ModelStatus> {
    const slot = this.#slot(id);
    await this.#audited("load", id, options, () => slot.load());
    return this.status(id);
  }

  async unload(id: string, options: AdminCallOptions = {}): Promise<ModelStatus> {
    const slot = this.#slot(id);
    await this.#audited("unload", id, options, () => slot.unload());
    return this.status(id);
  }

  /** Re-hashes the model file; MODEL_CORRUPT when it changed. */
  verify(id: string, options: AdminCallOptions = {}): Promise<ResolvedModelFile> {
    const slot = this.#slot(id);
    return this.#audited("verify", id, options, () => slot.verify());
  }

  /** Fetches the model file when missing (with progress) and verifies it; does not load it. */
  pull(
    id: string,
    onProgress?: (p: PullProgress) => void,
    options: AdminCallOptions = {},
  ): Promise<ResolvedModelFile> {
    const slot = this.#slot(id);
    return this.#audited("pull", id, options, async () => {
      const file = await slot.pull(onProgress);
      onProgress?.({ model: id, phase: "done", transferredBytes: file.size, totalBytes: file.size });
      return file;
    });
  }

  #slot(id: string): ModelSlot {
    const slot = this.#slots.get(id);
    if (!slot) throw new ModelNotFoundError(`model ${id} is not configured`, { details: { model: id } });
    return slot;
  }

  async #audited<T>(action: string, id: string, options: AdminCallOptions, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.#audit(action, id, "success", undefined, options.actor);
      return result;
    } catch (err) {
      this.#audit(
        action,
        id,
        "failure",
        { error: (err as { code?: string }).code ?? String(err) },
        options.actor,
      );
      throw err;
    }
  }
}
