import {
  AbortedError,
  DisposedError,
  isSluiceError,
  reviveError,
  type SluiceError,
} from "../../errors/index.ts";
import type {
  EmbedOptions,
  Engine,
  EngineAvailability,
  EngineInfo,
  GenerateEvent,
  GenerateOptions,
  GenerateParams,
} from "../engine/Engine.ts";
import { MessageQueue } from "./MessageQueue.ts";
import type { HostMessage, RunnerMessage } from "./protocol.ts";
import type { RunnerProcess } from "./RunnerProcess.ts";
import type { RunnerEvents, RunnerState, RunnerSupervisor } from "./RunnerSupervisor.ts";

type CallMessage = Extract<HostMessage, { type: "embed" } | { type: "tokenize" }>;
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** Estimated and measured memory of a runner. */
export interface RunnerMemory {
  pid: number | undefined;
  /** Resident set size of the runner process; 0 while none is running. */
  rssBytes: number;
  /** RSS the runner had before loading the model (Node and the binding): the per-runner overhead. */
  runtimeRssBytes: number;
}

/**
 * An engine whose model lives in a runner process. Same port as the in-process
 * adapter; a runner crash fails its in-flight requests with RUNNER_CRASHED
 * (retryable) and later requests wait for the restarted runner.
 */
export class RunnerEngine implements Engine {
  readonly info: EngineInfo;
  readonly #supervisor: RunnerSupervisor;
  #busy = 0;
  #disposed = false;

  /** @internal Created by RunnerEngineFactory.load. */
  constructor(supervisor: RunnerSupervisor, info: EngineInfo) {
    this.#supervisor = supervisor;
    this.info = info;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Pid of the live runner; undefined while it restarts. */
  get pid(): number | undefined {
    return this.#supervisor.pid;
  }

  get state(): RunnerState {
    return this.#supervisor.state;
  }

  /** Subscribes to crash, restarted, broken and state events; returns the unsubscribe function. */
  on<E extends keyof RunnerEvents>(event: E, listener: (...args: RunnerEvents[E]) => void): () => void {
    // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's generic listener type does not narrow here.
    const l = listener as any;
    this.#supervisor.on(event, l);
    return () => this.#supervisor.off(event, l);
  }

  busySequences(): number {
    return this.#busy;
  }

  /** "restarting" when the runner died or hung, "ready" once a new one loaded the model, "broken" when the supervisor gave up. */
  onAvailability(listener: (availability: EngineAvailability) => void): () => void {
    return this.on("state", ({ state }) => {
      if (state === "ready" || state === "restarting" || state === "broken") listener(state);
    });
  }

  async memory(): Promise<RunnerMemory> {
    const runner = this.#supervisor.current;
    if (runner === undefined) return { pid: undefined, rssBytes: 0, runtimeRssBytes: 0 };
    return { pid: runner.pid, rssBytes: await runner.rssBytes(), runtimeRssBytes: runner.runtimeRssBytes };
  }

  async *generate(
    params: GenerateParams,
    signal?: AbortSignal,
    options?: GenerateOptions,
  ): AsyncIterable<GenerateEvent> {
    this.#assertOpen();
    if (signal?.aborted) throw new AbortedError("generation aborted before it started");
    let runner = await this.#supervisor.acquire(signal);
    let yielded = false;
    try {
      for await (const event of this.#generateOn(runner, params, signal, options)) {
        yielded = true;
        yield event;
      }
    } catch (error) {
      if (yielded || !refusedBeforeStart(error)) throw error;
      // The runner refused before starting anything and retires itself (a vision
      // runner whose binding lost track of a completion): once, on its replacement.
      await runner.exited;
      runner = await this.#supervisor.acquire(signal);
      yield* this.#generateOn(runner, params, signal, options);
    }
  }

  async *#generateOn(
    runner: RunnerProcess,
    params: GenerateParams,
    signal: AbortSignal | undefined,
    options: GenerateOptions | undefined,
  ): AsyncIterable<GenerateEvent> {
    const queue = new MessageQueue<RunnerMessage>();
    const id = runner.send(
      options?.stream === false
        ? { type: "generate", params, options: { stream: false } }
        : { type: "generate", params },
      { onMessage: (m) => queue.push(m), fail: (e) => queue.fail(e) },
    );
    const onAbort = (): void => queue.fail(new AbortedError("generation aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#busy++;
    let ended = false;
    try {
      for (;;) {
        const message = await queue.next();
        if (message.type === "token") {
          yield message.logprobs
            ? { type: "token", text: message.text, logprobs: message.logprobs }
            : { type: "token", text: message.text };
        } else if (message.type === "done") {
          ended = true;
          const { type: _, id: __, ...done } = message;
          yield { type: "done", ...done };
          return;
        } else if (message.type === "error") {
          ended = true;
          throw reviveError(message.error);
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#busy--;
      // An abort, a consumer that stopped early, or a crash: tell the runner to free the sequence.
      if (ended) runner.finish(id);
      else runner.cancel(id);
    }
  }

  embed(texts: string[], options?: EmbedOptions, signal?: AbortSignal): Promise<Float32Array[]> {
    return this.#call<Float32Array[]>({ type: "embed", texts, options }, signal);
  }

  tokenize(text: string): Promise<number[]> {
    return this.#call<number[]>({ type: "tokenize", text });
  }

  /** Stops the runner gracefully. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#supervisor.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #call<T>(message: WithoutId<CallMessage>, signal?: AbortSignal): Promise<T> {
    this.#assertOpen();
    if (signal?.aborted) throw new AbortedError("request aborted before it started");
    const runner = await this.#supervisor.acquire(signal);
    return new Promise<T>((resolve, reject) => {
      const settle = (error: SluiceError | undefined, value?: unknown): void => {
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      const id = runner.send(message, {
        onMessage: (m) => {
          if (m.type !== "result" && m.type !== "error") return;
          runner.finish(id);
          settle(
            m.type === "error" ? reviveError(m.error) : undefined,
            m.type === "result" ? m.value : undefined,
          );
        },
        fail: (error) => settle(error),
      });
      const onAbort = (): void => {
        runner.cancel(id);
        settle(new AbortedError("request aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #assertOpen(): void {
    if (this.#disposed) throw new DisposedError("runner engine disposed");
  }
}

/** An engine's refusal of a request it never started, from a runner that is being replaced. */
function refusedBeforeStart(error: unknown): boolean {
  const details = isSluiceError(error) ? (error.details as Record<string, unknown> | undefined) : undefined;
  return details?.started === false && details.retiring === true;
}
