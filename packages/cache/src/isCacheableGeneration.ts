const RANDOM_SEED = 0xffff_ffff;

/** The sampling parameters that decide whether a generation is reproducible. */
export interface GenerationDeterminism {
  /** Sampling temperature; `0` means greedy decoding. */
  temperature?: number | undefined;
  /** Fixed sampling seed; with identical parameters the output repeats. */
  seed?: number | undefined;
}

/**
 * True when a generation's result may be cached: greedy decoding
 * (temperature 0) or a fixed seed (an integer from 0 to 2^32 − 2). Every other parameter must be part
 * of the cache key (see {@link cacheKey}), so "identical parameters" holds by
 * construction. An unspecified temperature is not cacheable, because the
 * engine's default samples.
 */
export function isCacheableGeneration(params: GenerationDeterminism): boolean {
  if (params.temperature === 0) return true;
  const seed = params.seed;
  // llama.cpp reads a negative seed and 0xFFFFFFFF as "pick a random seed".
  return typeof seed === "number" && Number.isSafeInteger(seed) && seed >= 0 && seed < RANDOM_SEED;
}
