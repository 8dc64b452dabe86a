import { fitModels, type ModelHost, type ModelStore } from "@sluice/core";
import type { ModelAdminExtras } from "./ModelAdmin.ts";
import { ModelSlot } from "./ModelSlot.ts";
import type { ModelResolver } from "./options.ts";

const REMOTE = /^(hf:|https:\/\/)/;

/**
 * The catalog view and run-time registration the model admin gets when a
 * store is configured: any catalog id or `hf:`/https URI can be pulled and
 * loaded, with the default model's context, sequences and threads.
 */
export function catalogExtras(
  store: ModelStore,
  slots: ReadonlyMap<string, ModelSlot>,
  defaultModel: string,
  host: ModelHost,
  resolver: ModelResolver,
  budgetBytes: number | undefined,
): ModelAdminExtras {
  const base = () => slots.get(defaultModel)?.options;
  return {
    register: (ref) => {
      const entry = store.catalog.get(ref);
      if (!entry && !REMOTE.test(ref)) return undefined;
      if (entry && entry.role !== "chat" && entry.role !== "embed") return undefined;
      const b = base();
      return new ModelSlot(
        {
          id: ref,
          source: ref,
          role: entry?.role === "embed" ? "embed" : "chat",
          // A model added at run time loads as the default one does (the server's runtime settings).
          ...(b
            ? {
                contextSize: b.contextSize,
                sequences: b.sequences,
                threads: b.threads,
                batchSize: b.batchSize,
                sequenceReuse: b.sequenceReuse,
                streamIntervalMs: b.streamIntervalMs,
              }
            : {}),
        },
        host,
        resolver,
      );
    },
    catalog: async () => {
      const b = base();
      const fits = await fitModels(await store.list(), {
        contextSize: b?.contextSize ?? 2048,
        sequences: b?.sequences ?? 4,
        ...(budgetBytes !== undefined ? { budgetBytes } : {}),
      });
      return fits.map((f) => ({
        id: f.entry.id,
        name: f.entry.name ?? f.entry.id,
        role: f.entry.role,
        uri: f.entry.uri,
        ...(f.entry.architecture ? { architecture: f.entry.architecture } : {}),
        ...(f.entry.quantization ? { quantization: f.entry.quantization } : {}),
        ...(f.entry.parameters ? { parameters: f.entry.parameters } : {}),
        ...(f.entry.license ? { license: f.entry.license } : {}),
        ...(f.entry.description ? { description: f.entry.description } : {}),
        ...(f.fileBytes !== undefined ? { sizeBytes: f.fileBytes } : {}),
        present: f.path !== undefined,
        ...(f.needBytes !== undefined ? { needBytes: f.needBytes } : {}),
        ...(f.fits !== undefined ? { fits: f.fits } : {}),
      }));
    },
  };
}
