import type { Suite } from "../types.ts";
import { cacheSuite } from "./cache.ts";
import { cobatchSuite } from "./cobatch.ts";
import { embedbatchSuite } from "./embedbatch.ts";
import { embeddingsSuite } from "./embeddings.ts";
import { generationSuite } from "./generation.ts";
import { memorySuite } from "./memory.ts";
import { overheadSuite } from "./overhead.ts";
import { targetsSuite } from "./targets.ts";
import { throughputSuite } from "./throughput.ts";

/**
 * Every suite the gate knows, in run order. A new suite is one import and one
 * line here; `tiers` on the suite says where it runs.
 */
export const SUITES: readonly Suite[] = [
  overheadSuite,
  generationSuite,
  cobatchSuite,
  embeddingsSuite,
  embedbatchSuite,
  memorySuite,
  cacheSuite,
  targetsSuite,
  throughputSuite,
];
