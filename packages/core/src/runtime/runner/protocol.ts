/**
 * The typed IPC protocol between the host and a runner process. Messages travel
 * over Node's IPC channel with `serialization: "advanced"` (structured clone),
 * so typed arrays such as embedding vectors cross without JSON encoding.
 */
import type { SerializedSluiceError } from "../../errors/index.ts";
import type {
  EmbedOptions,
  EngineInfo,
  EngineLoadOptions,
  GenerateOptions,
  GenerateParams,
  GenerateStats,
  TokenLogprob,
  ToolCall,
} from "../engine/Engine.ts";

/** Bumped on any incompatible change; the host refuses a runner that speaks another version. */
export const PROTOCOL_VERSION = 1;

export type HostMessage =
  | { type: "load"; id: number; options: EngineLoadOptions }
  // Only `stream` crosses the process boundary: `onPiece` is a function, which no message can carry.
  | { type: "generate"; id: number; params: GenerateParams; options?: Pick<GenerateOptions, "stream"> }
  | { type: "embed"; id: number; texts: string[]; options?: EmbedOptions }
  | { type: "tokenize"; id: number; text: string }
  | { type: "cancel"; id: number }
  | { type: "shutdown" };

export type RunnerMessage =
  | { type: "hello"; protocol: number; pid: number }
  | {
      type: "loaded";
      id: number;
      info: EngineInfo;
      /** RSS of the runner with the binding loaded but before the model: the per-runner overhead. */
      runtimeRssBytes: number;
    }
  | { type: "token"; id: number; text: string; logprobs?: TokenLogprob[] }
  | {
      type: "done";
      id: number;
      text: string;
      stats: GenerateStats;
      toolCalls?: ToolCall[];
      logprobs?: TokenLogprob[];
    }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: SerializedSluiceError }
  | {
      type: "heartbeat";
      rssBytes: number;
      busySequences: number;
      /**
       * Pieces of text generated so far, streamed or not. A request that sends
       * no message per token (stream false) still shows the host it moves.
       */
      progress?: number;
    }
  | { type: "log"; level: RunnerLogLevel; message: string };

export type RunnerLogLevel = "debug" | "info" | "warn" | "error";

/** A structured line of a runner's output, delivered to the host's logger. */
export interface RunnerLogRecord {
  level: RunnerLogLevel;
  message: string;
  /** The model the runner serves (its file path when no id was given). */
  modelId: string;
  pid: number;
  /** Where the line came from: node-llama-cpp's logger, or the child's raw stdout/stderr. */
  source: "llama" | "stdout" | "stderr" | "runner";
}
