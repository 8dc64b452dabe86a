import { toSluiceError } from "../../errors/index.ts";
import type { Engine, EngineFactory, GenerateOptions } from "../engine/Engine.ts";
import type { HostMessage, RunnerMessage } from "./protocol.ts";
import { TokenBatcher } from "./TokenBatcher.ts";

/**
 * The runner side of the protocol: it owns one engine and answers the host's
 * requests. It never exits on a request error; only the host (shutdown) or the
 * loss of the host (disconnect) ends the process.
 */
export class RunnerServer {
  #engine: Engine | undefined;
  readonly #active = new Map<number, AbortController>();
  #progress = 0;

  constructor(
    private readonly send: (message: RunnerMessage) => void,
    private readonly factory: () => Promise<EngineFactory>,
  ) {}

  /** Pieces of text generated so far, sent or not (the heartbeat's progress counter). */
  get progress(): number {
    return this.#progress;
  }

  busySequences(): number {
    return this.#engine?.busySequences() ?? 0;
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case "load":
        void this.#reply(message.id, async () => {
          const factory = await this.factory();
          const runtimeRssBytes = process.memoryUsage.rss();
          this.#engine = await factory.load(message.options);
          this.send({ type: "loaded", id: message.id, info: this.#engine.info, runtimeRssBytes });
        });
        return;
      case "generate":
        void this.#reply(message.id, async (signal) => {
          const batcher = new TokenBatcher((text, logprobs) =>
            this.send({ type: "token", id: message.id, text, ...(logprobs ? { logprobs } : {}) }),
          );
          // Without a stream the host gets the whole text in the done message and no message per
          // token (the engine then need not hand over pieces as they come, see runGeneration);
          // the heartbeat's progress counter shows that the request moves.
          const stream = message.options?.stream !== false;
          const options: GenerateOptions = !stream
            ? {
                stream: false,
                onPiece: () => {
                  this.#progress++;
                },
              }
            : {};
          try {
            for await (const event of this.#loaded().generate(message.params, signal, options)) {
              if (event.type === "token") {
                // (An engine that does not honour `stream: false` still has its pieces counted, not sent.)
                this.#progress++;
                if (stream) batcher.push(event.text, event.logprobs);
              } else {
                batcher.flush();
                const { type: _, ...done } = event;
                this.send({ type: "done", id: message.id, ...done });
              }
            }
          } finally {
            // Text decoded before an error still reaches the host ahead of the error; a cancelled request's does not.
            if (signal.aborted) batcher.discard();
            else batcher.flush();
          }
        });
        return;
      case "embed":
        void this.#reply(message.id, async (signal) => {
          const value = await this.#loaded().embed(message.texts, message.options, signal);
          this.send({ type: "result", id: message.id, value });
        });
        return;
      case "tokenize":
        void this.#reply(message.id, async () => {
          const value = await this.#loaded().tokenize(message.text);
          this.send({ type: "result", id: message.id, value });
        });
        return;
      case "cancel":
        this.#active.get(message.id)?.abort();
        return;
      case "shutdown":
        void this.shutdown();
        return;
    }
  }

  /** Aborts in-flight work and disposes the engine. */
  async shutdown(): Promise<void> {
    for (const controller of this.#active.values()) controller.abort();
    const engine = this.#engine;
    this.#engine = undefined;
    await engine?.dispose();
  }

  #loaded(): Engine {
    if (this.#engine === undefined) throw toSluiceError(new Error("runner has no loaded model"));
    return this.#engine;
  }

  async #reply(id: number, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    this.#active.set(id, controller);
    try {
      await work(controller.signal);
    } catch (error) {
      this.send({ type: "error", id, error: toSluiceError(error).toJSON() });
    } finally {
      this.#active.delete(id);
    }
  }
}
