import type { CallOptions, Sluice } from "@sluice/sdk";
import { parseInput } from "../zodError.ts";
import { embeddingRequest } from "./schemas.ts";

/** Float32 little-endian bytes in base64, as OpenAI's `encoding_format: "base64"` expects. */
function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes.toString("base64");
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
  return {
    object: "list",
    data: result.vectors.map((v, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? toBase64(v) : Array.from(v),
    })),
    model: result.model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    sluice: { cachedCount: result.cachedCount },
  };
}

/** `GET /v1/models`: every configured model with Sluice's status fields, and `auto` when a cascade routes. */
export function listModels(sluice: Sluice, createdAt: number): Record<string, unknown> {
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
          sequences: m.sequences,
          busySequences: m.busySequences,
          queued: m.queued,
        },
      })),
      ...cascade,
    ],
  };
}
