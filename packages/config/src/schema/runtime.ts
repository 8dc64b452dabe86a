import { LOAD_DEFAULTS, MAX_STREAM_INTERVAL_MS } from "@sluice/core";
import { z } from "zod";
import { bytes, int, ms, section } from "./fields.ts";

export const runtimeSchema = section(
  {
    mode: z
      .enum(["runner", "in-process"])
      .default("runner")
      .describe(
        "`runner` runs each model in a runner child process (a native crash kills one runner, not the host); `in-process` loads models in the host. Defaults to `runner`.",
      ),
    threads: z
      .union([z.literal("auto"), int(1, 1024)])
      .default("auto")
      .describe(
        "CPU threads per model; `auto` lets the engine pick from the physical cores (see the runtime's `autoThreads`). Defaults to `auto`.",
      ),
    contextSize: int(128, 131_072)
      .default(LOAD_DEFAULTS.contextSize)
      .describe(`Context length per sequence in tokens. Defaults to \`${LOAD_DEFAULTS.contextSize}\`.`),
    sequences: int(1, 64)
      .default(LOAD_DEFAULTS.sequences)
      .describe(
        `Sequences per context, i.e. requests decoded together per model. Defaults to \`${LOAD_DEFAULTS.sequences}\`.`,
      ),
    streamIntervalMs: int(0, MAX_STREAM_INTERVAL_MS)
      .default(LOAD_DEFAULTS.streamIntervalMs)
      .describe(
        `Streamed generation in bursts: a streamed request decoding alone on a text model may generate natively for up to this many milliseconds before its tokens are sent, together; fewer hand-offs between JavaScript and llama.cpp per token (more tokens/s, burstier streams; see docs/performance.md). \`0\` sends every token as it is sampled. Requests with stop strings (other than a chat template's end-of-turn marker), a grammar or repetition penalties, and requests batched with others, always stream token by token. Defaults to \`${LOAD_DEFAULTS.streamIntervalMs}\`.`,
      ),
    batchSize: int(1, 65_536)
      .default(LOAD_DEFAULTS.batchSize)
      .describe(`Prompt tokens evaluated per batch. Defaults to \`${LOAD_DEFAULTS.batchSize}\`.`),
    gpu: z
      .union([z.literal("auto"), z.literal(false), z.enum(["cuda", "vulkan", "metal"])])
      .default("auto")
      .describe(
        "GPU backend node-llama-cpp loads, in the host and in every runner: `false` = CPU only, `auto` = the best backend whose prebuilt is installed (else the CPU), `cuda` / `vulkan` / `metal` = that backend or a failed start. `sluice doctor` shows what it resolves to. Defaults to `auto`.",
      ),
    memoryBudgetBytes: z
      .union([z.literal("auto"), bytes()])
      .default("auto")
      .describe(
        "Memory loaded models may use (GGUF estimates); a load beyond it evicts idle models or fails with OUT_OF_MEMORY_BUDGET. `auto` is half of physical memory or of the container's cgroup limit, whichever is smaller (the figure `sluice doctor` prints). Defaults to `auto`.",
      ),
    hangTimeoutMs: ms()
      .default(60_000)
      .describe(
        "A runner that makes no progress for this long is killed and restarted. Defaults to `60000`.",
      ),
    sandbox: z
      .enum(["auto", "bwrap", "off"])
      .default("auto")
      .describe(
        "Runner isolation on Linux: `bwrap` runs each runner in bubblewrap (no network, read-only model and code, private /tmp, no config secrets) and fails start-up when it cannot; `auto` does so when bubblewrap works here and otherwise warns and runs unsandboxed; `off` never sandboxes. Runners always get a minimal environment. Defaults to `auto`.",
      ),
    restart: section(
      {
        initialDelayMs: ms()
          .default(500)
          .describe("First restart delay after a runner dies. Defaults to `500`."),
        maxDelayMs: ms()
          .default(30_000)
          .describe("Longest restart delay (exponential backoff). Defaults to `30000`."),
      },
      "Runner restart backoff.",
    ),
    breaker: section(
      {
        consecutiveFailures: int(1, 1000)
          .default(3)
          .describe("Failures in a row that open a model's breaker. Defaults to `3`."),
        halfOpenAfterMs: ms()
          .default(30_000)
          .describe("How long a breaker stays open before a trial request. Defaults to `30000`."),
      },
      "Circuit breaker per model.",
    ),
  },
  "Inference runtime.",
);
export type RuntimeConfig = z.infer<typeof runtimeSchema>;
