import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";

export interface FidelityModel {
  name: string;
  path: string;
  /** Prompts whose greedy continuations the suite compares. */
  prompts: string[];
}

const STORY_PROMPTS = [
  "Once upon a time",
  "The little dog",
  "Lily and Ben went to the park and",
  "Tom had a red ball",
];
const SYNTH_PROMPTS = ["The quick brown fox", "hello world", "a cache remembers", "sluice gates open"];

/**
 * The models every fidelity check runs on: the trained stories260K fixture
 * (CI must have it), lfm2-tiny, and lfm2-convprobe, the LFM2 preset whose
 * output follows its short-conv state with wide logit margins. F32 weights:
 * the least rounding noise between batched and solo kernels.
 */
export async function fidelityModels(): Promise<FidelityModel[]> {
  const models: FidelityModel[] = [];
  const stories = requireModelFixture("stories260K.gguf");
  if (stories) models.push({ name: "stories260K", path: stories, prompts: STORY_PROMPTS });
  models.push({
    name: "lfm2-tiny",
    path: await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" }),
    prompts: SYNTH_PROMPTS,
  });
  models.push({
    name: "lfm2-convprobe",
    path: await ensureSynthModel({ preset: "lfm2-convprobe", type: "f32" }),
    prompts: SYNTH_PROMPTS,
  });
  return models;
}

/** Sixteen distinct prompts from a model's four. */
export function sixteen(prompts: readonly string[]): string[] {
  return Array.from(
    { length: 16 },
    (_, i) => `${prompts[i % prompts.length]} ${["and", "the", "she", "he"][i % 4]} ${i}`,
  );
}

export const FIDELITY_LOAD = { contextSize: 256, threads: 1, batchSize: 256, sequences: 4 } as const;
