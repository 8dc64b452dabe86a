import { ModelUnsupportedError } from "../../errors/index.ts";
import { readGgufMetadata } from "./readGgufMetadata.ts";

/** What the text model and its projector declare, once they are known to fit together. */
export interface VisionPairInfo {
  architecture: string;
  embeddingLength: number;
  trainContextSize: number;
  projectorType: string;
  /** The projector's output width (`clip.vision.projection_dim`), when it declares one. */
  projectionDim?: number;
}

/**
 * Checks, from GGUF metadata and before any native load, that `modelPath` is a
 * text model and `mmprojPath` a vision projector whose output width is the
 * text model's embedding length. llama.cpp refuses a mismatched pair too, but
 * only after loading both; this refusal is typed and costs a header read.
 * Throws MODEL_UNSUPPORTED (`details.reason`), MODEL_NOT_FOUND or MODEL_CORRUPT.
 */
export async function checkVisionPair(modelPath: string, mmprojPath: string): Promise<VisionPairInfo> {
  const [model, mmproj] = await Promise.all([readGgufMetadata(modelPath), readGgufMetadata(mmprojPath)]);
  const architecture = String(model.get("general.architecture") ?? "");
  const unsupported = (reason: string, message: string, details: Record<string, unknown> = {}): never => {
    throw new ModelUnsupportedError(message, { details: { reason, modelPath, mmprojPath, ...details } });
  };
  if (architecture === "clip")
    unsupported("model-is-projector", `${modelPath} is a projector, not a text model`);
  const embeddingLength = model.get(`${architecture}.embedding_length`);
  if (typeof embeddingLength !== "number")
    unsupported("no-embedding-length", `${modelPath} declares no ${architecture}.embedding_length`);
  if (mmproj.get("general.architecture") !== "clip")
    unsupported(
      "not-a-projector",
      `${mmprojPath} is not a projector (architecture ${String(mmproj.get("general.architecture"))})`,
    );
  if (mmproj.get("clip.has_vision_encoder") !== true)
    unsupported("no-vision-encoder", `${mmprojPath} has no vision encoder`);
  const projectionDim = mmproj.get("clip.vision.projection_dim");
  if (typeof projectionDim === "number" && projectionDim !== embeddingLength)
    unsupported(
      "projector-mismatch",
      `the projector ${mmprojPath} outputs ${projectionDim}-wide embeddings; the text model ${modelPath} expects ${embeddingLength}`,
      { projectionDim, embeddingLength },
    );
  const trainContextSize = model.get(`${architecture}.context_length`);
  return {
    architecture,
    embeddingLength: embeddingLength as number,
    trainContextSize: typeof trainContextSize === "number" ? trainContextSize : 0,
    projectorType: String(mmproj.get("clip.projector_type") ?? ""),
    ...(typeof projectionDim === "number" ? { projectionDim } : {}),
  };
}
