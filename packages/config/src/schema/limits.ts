import { z } from "zod";
import { int, ms, section } from "./fields.ts";

export const limitsSchema = section(
  {
    maxQueueDepth: int(0, 100_000)
      .default(64)
      .describe("Requests waiting per model before QUEUE_FULL. Runtime-safe. Defaults to `64`."),
    requestTimeoutMs: ms()
      .default(120_000)
      .describe("Deadline of a request from admission to last token. Runtime-safe. Defaults to `120000`."),
    maxInputChars: int(1, 10_000_000)
      .default(32_768)
      .describe("Longest prompt or embedding text in characters. Runtime-safe. Defaults to `32768`."),
    maxTokens: int(1, 131_072)
      .default(2048)
      .describe("Most tokens one request may generate. Runtime-safe. Defaults to `2048`."),
    defaultMaxTokens: int(1, 131_072)
      .default(256)
      .describe("Tokens generated when a request sets no limit. Runtime-safe. Defaults to `256`."),
    maxEmbeddingInputs: int(1, 4096)
      .default(64)
      .describe("Most texts in one embeddings request. Runtime-safe. Defaults to `64`."),
    rateLimit: section(
      {
        enabled: z
          .boolean()
          .default(false)
          .describe("Rate-limit each API key. Runtime-safe. Defaults to `false`."),
        requestsPerMinute: int(0, 10_000_000)
          .default(600)
          .describe(
            "Sustained requests per minute per key; `0` turns the limit off. Runtime-safe. Defaults to `600`.",
          ),
        burst: int(1, 1_000_000)
          .default(60)
          .describe("Token bucket size per key. Runtime-safe. Defaults to `60`."),
      },
      "Token-bucket rate limit per API key.",
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
  "Request limits; all fields apply without a restart.",
);
export type LimitsConfig = z.infer<typeof limitsSchema>;
