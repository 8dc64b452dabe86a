import { z } from "zod";
import { bytes, int, ms, section } from "./fields.ts";

const encryptionKeySchema = z
  .strictObject({
    id: z.string().min(1).describe("Key id stored beside each entry, so keys can rotate."),
    key: z
      .string()
      .min(1)
      .describe("AES-256 key, base64 (32 bytes). Set it from the environment, not a file in git."),
  })
  .describe("An encryption key of the persistent and shared tiers.");

export const cacheSchema = section(
  {
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Cache embeddings and deterministic generations; `false` turns every tier off. Defaults to `true`.",
      ),
    embeddings: section(
      {
        enabled: z.boolean().default(true).describe("Cache embeddings. Defaults to `true`."),
        ttlMs: ms()
          .default(86_400_000)
          .describe(
            "Lifetime of embedding entries in every tier; `0` keeps them until evicted. Defaults to `86400000` (1 day).",
          ),
      },
      "Embedding cache, keyed by model digest, normalised text and parameters.",
    ),
    results: section(
      {
        enabled: z
          .boolean()
          .default(true)
          .describe("Cache generations at temperature 0 or with a fixed seed. Defaults to `true`."),
        ttlMs: ms()
          .default(600_000)
          .describe(
            "Lifetime of generation entries in every tier; `0` keeps them until evicted. Defaults to `600000` (10 min).",
          ),
      },
      "Result cache of deterministic generations.",
    ),
    memory: section(
      {
        maxEntries: int(1).default(10_000).describe("Most entries in memory. Defaults to `10000`."),
        maxBytes: bytes()
          .default(67_108_864)
          .describe("Most bytes in memory. Defaults to `67108864` (64 MiB)."),
      },
      "In-process LRU tier.",
    ),
    persistent: section(
      {
        enabled: z
          .boolean()
          .default(false)
          .describe("Keep entries on disk across restarts. Defaults to `false`."),
        path: z
          .string()
          .min(1)
          .default(".sluice/cache.db")
          .describe("SQLite file. Defaults to `.sluice/cache.db`."),
        maxBytes: bytes()
          .default(268_435_456)
          .describe("Most bytes on disk. Defaults to `268435456` (256 MiB)."),
        keys: z
          .array(encryptionKeySchema)
          .default([])
          .describe("Encryption keys (required when enabled). Defaults to `[]`."),
        activeKeyId: z
          .string()
          .optional()
          .describe("Key new entries are sealed with. Defaults to the first key."),
      },
      "Encrypted on-disk tier.",
    ),
    redis: section(
      {
        url: z
          .string()
          .regex(/^rediss?:\/\//, "a redis:// or rediss:// URL")
          .optional()
          .describe("Redis shared by replicas for caches and rate limits. Defaults to unset (no Redis)."),
        keyPrefix: z
          .string()
          .default("sluice:cache:")
          .describe("Prefix of every key. Defaults to `sluice:cache:`."),
        timeoutMs: ms()
          .default(100)
          .describe("Longest a Redis command may take before it is bypassed. Defaults to `100`."),
      },
      "Shared Redis tier.",
    ),
  },
  "Embedding and result caches.",
);
export type CacheConfig = z.infer<typeof cacheSchema>;
