import { basename } from "node:path";
import type { EngineFactory, EngineLoadOptions } from "../engine/Engine.ts";
import type { RunnerLogRecord } from "./protocol.ts";
import { RunnerEngine } from "./RunnerEngine.ts";
import { type RunnerEvents, type RunnerRestartOptions, RunnerSupervisor } from "./RunnerSupervisor.ts";
import { type RunnerSandboxMode, type RunnerSandboxStatus, resolveRunnerSandbox } from "./sandbox.ts";

export interface RunnerEngineFactoryOptions {
  /** Receives the runners' native logs and raw output as structured records. Defaults to dropping them. */
  logger?: (record: RunnerLogRecord) => void;
  /** Re-checks a model file before it is reloaded after a crash; throw to mark the model broken. Defaults to none. */
  verify?: (modelPath: string) => Promise<void>;
  /** How often runners report liveness and RSS. Defaults to `1000` ms. */
  heartbeatIntervalMs?: number;
  /** Heartbeat silence after which a runner counts as hung (stopped, or its event loop stuck) and is replaced. Defaults to `3 × heartbeatIntervalMs`. */
  heartbeatTimeoutMs?: number;
  /** Ceiling for a single native call: requests in flight and none of them progressing for this long means the runner is hung. Defaults to `60000` ms. */
  hangTimeoutMs?: number;
  /** Time for a runner process to start and say hello. Defaults to `30000` ms. */
  startTimeoutMs?: number;
  /** Time for a runner to load its model. Defaults to `120000` ms. */
  loadTimeoutMs?: number;
  /** Time a runner gets to dispose its model on shutdown before SIGKILL. Defaults to `5000` ms. */
  stopGraceMs?: number;
  restart?: RunnerRestartOptions;
  /** File URL of a module implementing RunnerEngineModule. Defaults to the node-llama-cpp adapter. */
  engineModule?: string;
  /** Options of the engine module, e.g. `{ gpu: "auto" }` for the llama adapter. Defaults to `{}` (CPU only). */
  engineOptions?: Record<string, unknown>;
  /**
   * Isolation of the runner processes: a mode (`auto` uses bubblewrap when it
   * works here, `bwrap` requires it, `off` never) or a status already resolved
   * by `resolveRunnerSandbox`. Runners always get a minimal environment.
   * Defaults to `"off"`.
   */
  sandbox?: RunnerSandboxMode | RunnerSandboxStatus;
  /** Receives the events of every runner this factory starts (crash, restarted, broken, state, memory). Defaults to none. */
  onEvent?: (...args: RunnerEventArgs) => void;
}

/** `[name, payload]` of any runner event; narrowing on the name narrows the payload. */
export type RunnerEventArgs = { [E in keyof RunnerEvents]: [E, ...RunnerEvents[E]] }[keyof RunnerEvents];

/** Load options of a runner engine: the port's, plus the id used in logs and events. */
export interface RunnerEngineLoadOptions extends EngineLoadOptions {
  /** Defaults to the file name of `modelPath`. */
  modelId?: string;
}

const eventNames = ["crash", "restarted", "broken", "state", "memory"] as const satisfies ReadonlyArray<
  keyof RunnerEvents
>;

/**
 * Loads each model in its own runner process (child_process.fork, advanced
 * serialization), so a native crash, an OOM kill or a hung decode kills a
 * runner, never the host.
 */
export class RunnerEngineFactory implements EngineFactory {
  readonly #options: RunnerEngineFactoryOptions;
  #sandbox: RunnerSandboxStatus | undefined;

  constructor(options: RunnerEngineFactoryOptions = {}) {
    for (const key of [
      "heartbeatIntervalMs",
      "heartbeatTimeoutMs",
      "hangTimeoutMs",
      "startTimeoutMs",
      "loadTimeoutMs",
    ] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`${key} must be a positive number, got ${value}`);
      }
    }
    const restart = options.restart ?? {};
    if (
      restart.maxCrashes !== undefined &&
      !(Number.isInteger(restart.maxCrashes) && restart.maxCrashes >= 0)
    ) {
      throw new RangeError(`restart.maxCrashes must be a non-negative integer, got ${restart.maxCrashes}`);
    }
    this.#options = options;
  }

  /** The sandbox runners get; resolved (and, for `bwrap` that cannot run, thrown) on first use. */
  get sandbox(): RunnerSandboxStatus {
    const asked = this.#options.sandbox ?? "off";
    this.#sandbox ??= typeof asked === "string" ? resolveRunnerSandbox(asked) : asked;
    return this.#sandbox;
  }

  async load(options: RunnerEngineLoadOptions, signal?: AbortSignal): Promise<RunnerEngine> {
    const o = this.#options;
    const heartbeatIntervalMs = o.heartbeatIntervalMs ?? 1000;
    const { modelId = basename(options.modelPath), ...load } = options;
    const supervisor = new RunnerSupervisor({
      modelId,
      load,
      heartbeatIntervalMs,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? heartbeatIntervalMs * 3,
      hangTimeoutMs: o.hangTimeoutMs ?? 60_000,
      startTimeoutMs: o.startTimeoutMs ?? 30_000,
      loadTimeoutMs: o.loadTimeoutMs ?? 120_000,
      stopGraceMs: o.stopGraceMs ?? 5000,
      restart: {
        initialDelayMs: o.restart?.initialDelayMs ?? 200,
        maxDelayMs: o.restart?.maxDelayMs ?? 10_000,
        maxCrashes: o.restart?.maxCrashes ?? 5,
        windowMs: o.restart?.windowMs ?? 60_000,
      },
      engineModule: o.engineModule,
      engineOptions: o.engineOptions,
      logger: o.logger,
      verify: o.verify,
      sandbox: this.sandbox,
    });
    const onEvent = o.onEvent;
    if (onEvent !== undefined) {
      for (const name of eventNames) {
        // biome-ignore lint/suspicious/noExplicitAny: forwards each event with its own payload type.
        supervisor.on(name, (...args: any[]) => (onEvent as any)(name, ...args));
      }
    }
    const onAbort = (): void => void supervisor.dispose();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const info = await supervisor.start();
      return new RunnerEngine(supervisor, info);
    } catch (error) {
      await supervisor.dispose();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
