import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * The projector that belongs beside a text model, by the two naming
 * conventions in use: Sluice's `<name>.mmproj.gguf` (what gguf-synth writes)
 * and Hugging Face's `mmproj-<name>.gguf` (LiquidAI/LFM2-VL-*-GGUF). Returns
 * undefined when neither exists; the caller then serves the model text-only or
 * takes an explicit projector path.
 */
export function findProjector(modelPath: string): string | undefined {
  const dir = dirname(modelPath);
  const name = basename(modelPath);
  const stem = name.endsWith(".gguf") ? name.slice(0, -5) : name;
  for (const candidate of [join(dir, `${stem}.mmproj.gguf`), join(dir, `mmproj-${stem}.gguf`)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
