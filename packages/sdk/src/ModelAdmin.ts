import { ModelNotFoundError } from "@sluice/core";
import type { ModelMemoryReport } from "./ModelMemory.ts";
import type { ModelSlot } from "./ModelSlot.ts";
import type { PullProgress, ResolvedModelFile } from "./options.ts";
import type { CatalogModel, ModelStatus } from "./types.ts";

/** What the composition root lends the admin beyond the configured slots. */
export interface ModelAdminExtras {
  /** Adds a slot for a catalog id or an `hf:`/https URI; undefined when it names neither. */
  register?: (ref: string) => ModelSlot | undefined;
  /** The catalog with files present, sizes and memory fit. */
  catalog?: () => Promise<Omit<CatalogModel, "state">[]>;
  /** Memory of a loaded model: the GGUF estimate and, in runner mode, the runner's RSS. */
  memory?: (id: string) => ModelMemoryReport | undefined;
}

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
  readonly #slots: Map<string, ModelSlot>;
  readonly #defaultId: string;
  readonly #audit: AdminAuditListener;
  readonly #queue: (id: string) => { running: number; queued: number };
  readonly #memory: (id: string) => ModelMemoryReport | undefined;
  readonly #extras: ModelAdminExtras;

  /** @internal Built by createSluice. */
  constructor(
    slots: Map<string, ModelSlot>,
    defaultId: string,
    audit: AdminAuditListener,
    queue: (id: string) => { running: number; queued: number },
    extras: ModelAdminExtras = {},
  ) {
    this.#extras = extras;
    this.#queue = queue;
    this.#memory = extras.memory ?? (() => undefined);
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

  /**
   * The catalog: every model Sluice knows, whether its file is on disk, its
   * size, the memory a load needs and whether that fits the budget, and the
   * state of the configured model of that id. Empty without a model store.
   */
  async catalog(): Promise<CatalogModel[]> {
    const entries = (await this.#extras.catalog?.()) ?? [];
    return entries.map((e) => {
      const slot = this.#slots.get(e.id);
      return slot ? { ...e, state: slot.state } : e;
    });
  }

  /**
   * Loads the model (resolving it first) and keeps it loaded until unload();
   * resolves when it is ready. A catalog id or an `hf:`/https URI that is not
   * configured is added first, with the default model's runtime settings.
   */
  async load(id: string, options: AdminCallOptions = {}): Promise<ModelStatus> {
    const { slot, added } = this.#slotOrRegister(id);
    try {
      await this.#audited("load", id, options, () => slot.load());
    } catch (err) {
      if (added) this.#slots.delete(id);
      throw err;
    }
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
    const { slot, added } = this.#slotOrRegister(id);
    return this.#audited("pull", id, options, async () => {
      const file = await slot.pull(onProgress);
      onProgress?.({ model: id, phase: "done", transferredBytes: file.size, totalBytes: file.size });
      return file;
    }).catch((err: unknown) => {
      // A failed pull of a model added for it leaves nothing configured behind.
      if (added) this.#slots.delete(id);
      throw err;
    });
  }

  #slotOrRegister(id: string): { slot: ModelSlot; added: boolean } {
    const known = this.#slots.get(id);
    if (known) return { slot: known, added: false };
    const slot = this.#extras.register?.(id);
    if (!slot) return { slot: this.#slot(id), added: false };
    this.#slots.set(id, slot);
    return { slot, added: true };
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
