import { InvalidInputError, ModelNotFoundError } from "@sluice/core";
import type { CallOptions, Sluice } from "@sluice/sdk";
import { parseInput } from "../zodError.ts";
import { embeddingRequest } from "./schemas.ts";

/** Float32 little-endian bytes in base64, as OpenAI's `encoding_format: "base64"` expects. */
function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes.toString("base64");
}

/**
 * OpenAI's `dimensions`: the first `dimensions` components, L2-normalised
 * again. This is what Matryoshka-trained embedding models are built for; on
 * other models the shortened vector loses information.
 */
function shorten(vector: Float32Array, dimensions: number): Float32Array {
  const out = vector.slice(0, dimensions);
  let sum = 0;
  for (const x of out) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / norm;
  return out;
}

/** `POST /v1/embeddings`: one string or an array of strings. */
export async function embeddings(
  sluice: Sluice,
  body: unknown,
  options: CallOptions,
): Promise<Record<string, unknown>> {
  const r = parseInput(embeddingRequest, body);
  const texts = typeof r.input === "string" ? [r.input] : r.input;
  const result = await sluice.embed({ model: r.model, texts }, { ...options, priority: "batch" });
  const base64 = r.encoding_format === "base64";
  const length = result.vectors[0]?.length ?? 0;
  if (r.dimensions !== undefined && r.dimensions > length)
    throw new InvalidInputError(`dimensions must be at most ${length} for ${result.model}`, {
      details: { field: "dimensions", value: r.dimensions },
    });
  const vectors =
    r.dimensions !== undefined
      ? result.vectors.map((v) => shorten(v, r.dimensions as number))
      : result.vectors;
  return {
    object: "list",
    data: vectors.map((v, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? toBase64(v) : Array.from(v),
    })),
    model: result.model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    sluice: { cachedCount: result.cachedCount },
  };
}

/** `GET /v1/models/{id}`: one model as `listModels` describes it; MODEL_NOT_FOUND when it is not served. */
export function retrieveModel(sluice: Sluice, id: string, createdAt: number): Record<string, unknown> {
  const model = (listModels(sluice, createdAt).data as Array<{ id: string }>).find((m) => m.id === id);
  if (!model) throw new ModelNotFoundError(`model ${id} is not served here`, { details: { model: id } });
  return model;
}

/** `GET /v1/models`: every configured model with Sluice's status fields, and `auto` when a cascade routes. */
export function listModels(sluice: Sluice, createdAt: number): { object: "list"; data: unknown[] } {
  const cascade = sluice.cascade
    ? [{ id: "auto", object: "model", created: createdAt, owned_by: "sluice", sluice: { role: "cascade" } }]
    : [];
  return {
    object: "list",
    data: [
      ...sluice.models.list().map((m) => ({
        id: m.id,
        object: "model",
        created: createdAt,
        owned_by: "sluice",
        sluice: {
          role: m.role,
          state: m.state,
          default: m.isDefault,
          synthetic: m.synthetic,
          ...(m.synthetic ? { notice: "synthetic weights: output is noise" } : {}),
          contextSize: m.contextSize,
          // Loaded models only: the GGUF estimate and, in runner mode, the runner's RSS.
          ...(m.memory ? { memory: m.memory } : {}),
          ...(m.engine ? { engine: m.engine } : {}),
          sequences: m.sequences,
          busySequences: m.busySequences,
          queued: m.queued,
        },
      })),
      ...cascade,
    ],
  };
}
