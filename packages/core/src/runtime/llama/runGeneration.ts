import type {
  LlamaContextSequence,
  LlamaGrammarEvaluationState,
  LlamaModel,
  SequenceEvaluateOptions,
  Token,
} from "node-llama-cpp";
import { InferenceFailedError, isSluiceError } from "../../errors/index.ts";
import type { GenerateEvent, GenerateParams, GenerateStats } from "../engine/index.ts";
import { ConfidenceAccumulator } from "./confidence.ts";
import { IncrementalDetokenizer } from "./IncrementalDetokenizer.ts";
import { abortReason } from "./ResourcePool.ts";
import { TextStreamer } from "./TextStreamer.ts";
import { LogprobCollector, logprobMetadata } from "./tokenLogprobs.ts";

/** Default sampling temperature (see GenerateParams.temperature). */
export const DEFAULT_TEMPERATURE = 0.8;
/** Default token limit (see GenerateParams.maxTokens). */
export const DEFAULT_MAX_TOKENS = 256;

export interface GenerationInput {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  promptTokens: Token[];
  /** Leading prompt tokens already in the sequence's state (a reused sequence); only the rest is evaluated. */
  reusedTokens: number;
  params: GenerateParams;
  /** Extra stop strings from a chat template. */
  templateStops: readonly string[];
  grammar: LlamaGrammarEvaluationState | undefined;
  /** Decode control tokens as their text (tool calls). Defaults to `false`. */
  specialTokens?: boolean;
  /** performance.now() when the caller asked. */
  startedAt: number;
  signal: AbortSignal | undefined;
  /**
   * Whether the caller reads the pieces as they come (a stream). A request that is not streamed
   * (or is, with streamIntervalMs) and has no stop strings lets a lone sequence generate in native
   * chunks (see nativeChunksFor). Defaults to `true`.
   */
  streamed?: boolean;
  /**
   * For a streamed request: how long a native chunk may run before its tokens are delivered
   * (EngineLoadOptions.streamIntervalMs). `0` (the default) streams token by token.
   */
  streamIntervalMs?: number;
  /** Called after the last token, before the done event, when the generation was not aborted and did not fail. */
  onComplete?: () => void;
}

const ABORTED = Symbol("aborted");

/** llama.cpp's repetition penalties over the last 64 generated tokens, when any is set. */
function penaltiesOf(params: GenerateParams, generated: Token[]): SequenceEvaluateOptions["repeatPenalty"] {
  const repeat = params.repeatPenalty ?? 1;
  const frequency = params.frequencyPenalty ?? 0;
  const presence = params.presencePenalty ?? 0;
  if (repeat === 1 && frequency === 0 && presence === 0) return undefined;
  return {
    punishTokens: () => generated.slice(-64),
    penalty: repeat,
    ...(frequency !== 0 ? { frequencyPenalty: frequency } : {}),
    ...(presence !== 0 ? { presencePenalty: presence } : {}),
  };
}

/**
 * How long one native generation chunk runs at most: the chunk's tokens reach JavaScript (the
 * runner's progress, an abort's check) at its end. Another request's decode or an abort ends a
 * chunk after its current token, so this bounds only how late the caller sees progress.
 */
const NATIVE_CHUNK_MS = 100;

/**
 * Whether a stop string is the text of one end-of-generation token, as a chat template's
 * end-of-turn marker (`<|im_end|>`) is: the model ends its turn with that token, which ends a
 * native chunk as it ends the loop, so such a stop does not keep a request token by token. Only
 * the rare answer that spells the marker out in ordinary tokens meets the stop in its text; a
 * chunk may then have decoded a few tokens past it, which the text never shows (the sequence's
 * state holds them, so a next turn does not extend it: a reuse miss, not a wrong answer).
 */
function isEndOfGenerationText(model: LlamaModel, text: string): boolean {
  const tokens = model.tokenize(text, true);
  return tokens.length === 1 && model.isEogToken(tokens[0]);
}

/**
 * node-llama-cpp's (patched) native generation for this loop, or undefined. A lone sequence then
 * decodes and samples its tokens in native chunks, with no JavaScript between two tokens; with
 * other sequences in flight it is co-batched as before. For a caller that does not read the
 * pieces as they come, or a streamed one whose engine allows bursts (streamIntervalMs, the chunk's
 * length then); never with stop strings (`stops` counts those that are not an end-of-generation
 * token's text): a stop string is found in the text after a chunk has decoded past it.
 */
function nativeChunksFor(
  input: GenerationInput,
  stops: number,
  maxTokens: number,
): SequenceEvaluateOptions["nativeGeneration"] {
  if (stops > 0) return undefined;
  const chunkMs = input.streamed === false ? NATIVE_CHUNK_MS : (input.streamIntervalMs ?? 0);
  if (chunkMs <= 0) return undefined;
  return { maxTokens, chunkMs, ...(input.signal ? { signal: input.signal } : {}) };
}

/**
 * The decoding loop over one context sequence. It drives
 * `evaluateWithMetadata` itself (rather than LlamaCompletion) so that every
 * token's probability is available for the confidence score and so that
 * concurrent loops on sibling sequences are batched into one decode by the
 * context. The sequence holds exactly `promptTokens.slice(0, reusedTokens)` on
 * entry; on completion it holds the prompt and the generated tokens evaluated.
 */
export async function* runGeneration(input: GenerationInput): AsyncGenerator<GenerateEvent, void, undefined> {
  const { model, sequence, promptTokens, params, signal } = input;
  const room = sequence.contextSize - promptTokens.length;
  const maxTokens = Math.min(params.maxTokens ?? DEFAULT_MAX_TOKENS, room);
  const stops = [...(params.stop ?? []), ...input.templateStops];
  const streamer = new TextStreamer(stops);
  const confidence = params.confidence ? new ConfidenceAccumulator() : undefined;
  const generated: Token[] = [];
  // Tool-call markers are control tokens in LFM2; the parser needs to see them.
  const detokenizer = new IncrementalDetokenizer(model, promptTokens, input.specialTokens === true);
  const logprobs = params.logprobs !== undefined ? new LogprobCollector(model, params.logprobs) : undefined;
  const temperature = params.temperature ?? DEFAULT_TEMPERATURE;
  const options: SequenceEvaluateOptions = {
    temperature,
    topK: params.topK,
    topP: params.topP,
    seed: params.seed,
    grammarEvaluationState: input.grammar,
    repeatPenalty: penaltiesOf(params, generated),
    nativeGeneration: nativeChunksFor(
      input,
      stops.filter((s) => !isEndOfGenerationText(model, s)).length,
      maxTokens,
    ),
  };
  let firstTokenAt = 0;
  let finishReason: GenerateStats["finishReason"] = "length";

  const iterator = sequence.evaluateWithMetadata(
    input.reusedTokens > 0 ? promptTokens.slice(input.reusedTokens) : promptTokens,
    {
      // The chosen token's probability is the confidence; alternatives come from a top-N list
      // that the patched addon partially sorts (see logprobMetadata).
      confidence: params.confidence === true || logprobs !== undefined,
      ...logprobMetadata(logprobs),
    },
    options,
  );
  let abortWait: Promise<typeof ABORTED> | undefined;
  let onAbort: (() => void) | undefined;
  if (signal) {
    abortWait = new Promise((resolve) => {
      onAbort = () => resolve(ABORTED);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
  try {
    while (generated.length < maxTokens) {
      if (signal?.aborted) throw abortReason(signal);
      const step = iterator.next();
      const result = abortWait ? await Promise.race([step, abortWait]) : await step;
      if (result === ABORTED) {
        // Let the in-flight decode settle before the caller clears the sequence.
        await step.catch(() => undefined);
        throw abortReason(signal as AbortSignal);
      }
      if (result.done) {
        finishReason = "stop";
        break;
      }
      if (generated.length === 0) firstTokenAt = performance.now();
      generated.push(result.value.token);
      if (confidence && "confidence" in result.value) confidence.add(result.value.confidence as number);
      const value = result.value as { probabilities?: Map<Token, number>; confidence?: number };
      logprobs?.add(result.value.token, value.probabilities, value.confidence);
      const piece = streamer.push(detokenizer.push(result.value.token));
      if (piece.length > 0)
        yield logprobs
          ? { type: "token", text: piece, logprobs: logprobs.takeNew() }
          : { type: "token", text: piece };
      if (streamer.stopped) {
        finishReason = "stop";
        break;
      }
    }
  } catch (err) {
    throw isSluiceError(err) ? err : new InferenceFailedError("decoding failed", { cause: err });
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await iterator.return(undefined).catch(() => undefined);
  }
  input.onComplete?.();
  const rest = streamer.flush();
  if (rest.length > 0)
    yield logprobs
      ? { type: "token", text: rest, logprobs: logprobs.takeNew() }
      : { type: "token", text: rest };
  const end = performance.now();
  const stats: GenerateStats = {
    promptTokens: promptTokens.length,
    generatedTokens: generated.length,
    timeToFirstTokenMs: firstTokenAt > 0 ? firstTokenAt - input.startedAt : end - input.startedAt,
    decodeMs: firstTokenAt > 0 ? end - firstTokenAt : 0,
    finishReason,
  };
  if (input.reusedTokens > 0) stats.reusedPromptTokens = input.reusedTokens;
  if (confidence) stats.confidence = confidence.stats();
  yield { type: "done", text: streamer.text, stats, ...(logprobs ? { logprobs: logprobs.entries } : {}) };
}
