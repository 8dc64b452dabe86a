import { z } from "zod";
import { int, ms, section } from "./fields.ts";

export const modelsSchema = section(
  {
    default: z
      .string()
      .min(1)
      .default("lfm2-350m-q8_0")
      .describe(
        "Model used when a request names none: a catalog id, a path or an hf:/https URI. Defaults to `lfm2-350m-q8_0`.",
      ),
    dir: z
      .string()
      .min(1)
      .default("models")
      .describe("Directory where pulled models are stored. Defaults to `models`."),
    dirs: z
      .array(z.string().min(1))
      .default([])
      .describe("Extra directories searched for GGUF files before downloading. Defaults to `[]`."),
    allowDownload: z.boolean().default(true).describe("Download models missing locally. Defaults to `true`."),
    preload: z.array(z.string().min(1)).default([]).describe("Models loaded at startup. Defaults to `[]`."),
    keepAliveMs: ms()
      .default(300_000)
      .describe("How long an unused loaded model stays in memory. Defaults to `300000` (5 min)."),
    maxLoaded: int(1, 64)
      .default(2)
      .describe(
        "Most models loaded at once; loading one more unloads the least recently used idle model, or fails with OUT_OF_MEMORY_BUDGET while all are busy. Defaults to `2`.",
      ),
  },
  "Model resolution, storage and lifecycle.",
);
export type ModelsConfig = z.infer<typeof modelsSchema>;
