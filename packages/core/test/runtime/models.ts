import { ensureSynthModel, requireModelFixture } from "@sluice/gguf-synth";

export interface TestModel {
  name: string;
  path: string;
  /** A prompt whose greedy continuation is known to be stable. */
  prompt: string;
}

/**
 * The real stories260K fixture (skipped with a loud warning outside CI when
 * missing; CI fails) and the synthetic lfm2-tiny model (always generated).
 */
export async function testModels(): Promise<TestModel[]> {
  const models: TestModel[] = [];
  const stories = requireModelFixture("stories260K.gguf");
  if (stories) models.push({ name: "stories260K", path: stories, prompt: "Once upon a time" });
  const tiny = await ensureSynthModel({ preset: "lfm2-tiny", type: "f32" });
  models.push({ name: "lfm2-tiny", path: tiny, prompt: "The quick brown fox" });
  return models;
}

/** Loads options small enough for a 2-core test machine. */
export const TEST_LOAD = {
  contextSize: 256,
  threads: 1,
  batchSize: 256,
  sequences: 4,
  embeddingContexts: 1,
} as const;

/** Concatenates a generation's text, returning it with the final event. */
export async function collect(
  stream: AsyncIterable<import("../../src/runtime/engine/index.ts").GenerateEvent>,
): Promise<{
  text: string;
  pieces: string;
  done: Extract<import("../../src/runtime/engine/index.ts").GenerateEvent, { type: "done" }>;
}> {
  let pieces = "";
  for await (const event of stream) {
    if (event.type === "token") pieces += event.text;
    else return { text: event.text, pieces, done: event };
  }
  throw new Error("stream ended without a done event");
}
