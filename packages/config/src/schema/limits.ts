import { LIMIT_DEFAULTS, MAX_EMBED_TEXTS } from "@sluice/core";
import { z } from "zod";
import { int, ms, section } from "./fields.ts";

// The ceiling the HTTP API's own schemas put on one text (packages/api MAX_TEXT_CHARS).
const API_MAX_TEXT_CHARS = 200_000;

export const limitsSchema = section(
  {
    maxQueueDepth: int(0, 100_000)
      .default(LIMIT_DEFAULTS.maxQueueDepth)
      .describe(
        `Requests waiting per model beyond its busy sequences; one more gets QUEUE_FULL (503). Defaults to \`${LIMIT_DEFAULTS.maxQueueDepth}\`.`,
      ),
    requestTimeoutMs: ms()
      .default(LIMIT_DEFAULTS.requestTimeoutMs)
      .describe(
        `Deadline of a request from admission to last token; later requests fail with TIMEOUT. \`0\` = none. Defaults to \`${LIMIT_DEFAULTS.requestTimeoutMs}\`.`,
      ),
    maxInputChars: int(1, API_MAX_TEXT_CHARS)
      .default(LIMIT_DEFAULTS.maxInputChars)
      .describe(
        `Longest prompt, chat conversation (all message texts together) or embedding text in characters; longer input gets INVALID_INPUT (400). At most \`${API_MAX_TEXT_CHARS}\`, the API's own ceiling. Defaults to \`${LIMIT_DEFAULTS.maxInputChars}\`.`,
      ),
    maxTokens: int(1, 131_072)
      .default(LIMIT_DEFAULTS.maxTokens)
      .describe(
        `Most tokens one request may ask to generate; more gets INVALID_INPUT (400). Defaults to \`${LIMIT_DEFAULTS.maxTokens}\`.`,
      ),
    defaultMaxTokens: int(1, 131_072)
      .default(LIMIT_DEFAULTS.defaultMaxTokens)
      .describe(
        `Tokens generated when a request sets no limit. Defaults to \`${LIMIT_DEFAULTS.defaultMaxTokens}\`.`,
      ),
    maxEmbeddingInputs: int(1, MAX_EMBED_TEXTS)
      .default(LIMIT_DEFAULTS.maxEmbeddingInputs)
      .describe(
        `Most texts in one embeddings request; more gets INVALID_INPUT (400). Defaults to \`${LIMIT_DEFAULTS.maxEmbeddingInputs}\`.`,
      ),
    rateLimit: section(
      {
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Rate-limit each caller (API key, else client address) with a token bucket; RATE_LIMITED (429) when empty. `false` = no limiter at all. Defaults to `false`.",
          ),
        requestsPerMinute: int(1, 10_000_000)
          .default(600)
          .describe("Sustained requests per minute per caller. Defaults to `600`."),
        burst: int(1, 1_000_000).default(60).describe("Token bucket size per caller. Defaults to `60`."),
      },
      "Token-bucket rate limit per caller.",
    ),
    failedAuth: section(
      {
        perMinute: int(0, 1_000_000)
          .default(30)
          .describe(
            "401/403 answers refilled per minute per client address; once spent, that address gets 429 before its key is checked. `0` turns the limit off. Runtime-safe. Defaults to `30`.",
          ),
        burst: int(1, 1_000_000)
          .default(20)
          .describe("401/403 answers a client address may get in a row. Runtime-safe. Defaults to `20`."),
      },
      "Token bucket of failed authentications per client address (slows key guessing and audit floods).",
    ),
  },
  "Request limits.",
);
export type LimitsConfig = z.infer<typeof limitsSchema>;
