import { EventEmitter } from "node:events";
import { DisposedError, RunnerCrashedError, type SluiceError, toSluiceError } from "../../errors/index.ts";
import type { EngineInfo, EngineLoadOptions } from "../engine/Engine.ts";
import type { RunnerLogRecord } from "./protocol.ts";
import { type RunnerCrash, RunnerProcess } from "./RunnerProcess.ts";
import type { RunnerSandboxStatus } from "./sandbox.ts";

export type RunnerState = "starting" | "ready" | "restarting" | "broken" | "disposed";

export interface RunnerRestartOptions {
  /** First restart delay. Defaults to `200` ms. */
  initialDelayMs?: number;
  /** Ceiling of the exponential backoff. Defaults to `10000` ms. */
  maxDelayMs?: number;
  /** Crashes within `windowMs` after which the model is marked broken. Defaults to `5`. */
  maxCrashes?: number;
  /** Window in which crashes count towards `maxCrashes`. Defaults to `60000` ms. */
  windowMs?: number;
}

export interface RunnerSupervisorOptions {
  modelId: string;
  load: EngineLoadOptions;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  hangTimeoutMs?: number;
  startTimeoutMs: number;
  loadTimeoutMs: number;
  stopGraceMs: number;
  restart: Required<RunnerRestartOptions>;
  engineModule?: string;
  engineOptions?: Record<string, unknown>;
  logger?: (record: RunnerLogRecord) => void;
  /** Isolation of each runner process. Defaults to none (minimal environment only). */
  sandbox?: RunnerSandboxStatus;
  /** Re-checks the model file before a reload after a crash; throws (e.g. MODEL_CORRUPT) when it is bad. */
  verify?: (modelPath: string) => Promise<void>;
}

export interface RunnerCrashEvent extends RunnerCrash {
  modelId: string;
  modelPath: string;
  /** Crashes within the restart window, this one included. */
  crashes: number;
  /** Delay before the restart; undefined when the model is marked broken instead. */
  restartInMs: number | undefined;
}

export interface RunnerEvents {
  crash: [RunnerCrashEvent];
  restarted: [{ modelId: string; modelPath: string; pid: number; previousPid: number; attempt: number }];
  broken: [{ modelId: string; modelPath: string; error: SluiceError }];
  state: [{ modelId: string; modelPath: string; state: RunnerState }];
  /** On every heartbeat: the runner's resident set size. */
  memory: [{ modelId: string; modelPath: string; pid: number; rssBytes: number }];
}

/**
 * Keeps one model's runner alive: restarts it with exponential backoff after a
 * crash, verifies the model file before each reload, and marks the model broken
 * after repeated crashes. Requests that arrive during a restart wait for it.
 */
export class RunnerSupervisor extends EventEmitter<RunnerEvents> {
  readonly #options: RunnerSupervisorOptions;
  #state: RunnerState = "starting";
  #current: RunnerProcess | undefined;
  #crashTimes: number[] = [];
  #waiters: Array<{ resolve(runner: RunnerProcess): void; reject(error: SluiceError): void }> = [];
  #restartTimer: NodeJS.Timeout | undefined;
  #brokenError: SluiceError | undefined;
  #attempt = 0;
  #lastPid = 0;

  constructor(options: RunnerSupervisorOptions) {
    super();
    this.#options = options;
  }

  get state(): RunnerState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#current?.pid;
  }

  get current(): RunnerProcess | undefined {
    return this.#current;
  }

  /** First start: a load failure rejects (the host's breaker decides), no restart. */
  async start(): Promise<EngineInfo> {
    const { runner, info } = await this.#spawn();
    if (this.#state === "disposed") {
      await runner.kill();
      throw new DisposedError("runner disposed during load");
    }
    this.#current = runner;
    this.#setState("ready");
    return info;
  }

  /** The live runner; waits while one is restarting. */
  acquire(signal?: AbortSignal): Promise<RunnerProcess> {
    if (this.#state === "ready" && this.#current?.alive) return Promise.resolve(this.#current);
    if (this.#state === "broken") return Promise.reject(this.#brokenError);
    if (this.#state === "disposed") return Promise.reject(new DisposedError("runner engine disposed"));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(toSluiceError(signal.reason, "ABORTED"));
        },
        { once: true },
      );
    });
  }

  /** Stops the runner gracefully; pending waiters fail with DISPOSED. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#state === "disposed") return;
    this.#setState("disposed");
    clearTimeout(this.#restartTimer);
    this.#flushWaiters(new DisposedError("runner engine disposed"));
    const runner = this.#current;
    this.#current = undefined;
    await runner?.stop(this.#options.stopGraceMs);
  }

  async #spawn(): Promise<{ runner: RunnerProcess; info: EngineInfo }> {
    const o = this.#options;
    // Assigned once started; heartbeats before that have no runner to report for.
    let runner: RunnerProcess | undefined;
    runner = await RunnerProcess.start(
      {
        modelId: o.modelId,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        heartbeatTimeoutMs: o.heartbeatTimeoutMs,
        ...(o.hangTimeoutMs !== undefined ? { hangTimeoutMs: o.hangTimeoutMs } : {}),
        engineModule: o.engineModule,
        engineOptions: o.engineOptions,
        logger: o.logger,
        ...(o.sandbox ? { sandbox: o.sandbox } : {}),
        sandboxFiles: [o.load.modelPath, ...(o.load.mmprojPath ? [o.load.mmprojPath] : [])],
        onCrash: (crash) => this.#onCrash(crash),
        onHeartbeat: (rssBytes) => {
          const pid = runner?.pid;
          if (pid !== undefined && pid === this.#current?.pid) {
            this.emit("memory", { modelId: o.modelId, modelPath: o.load.modelPath, pid, rssBytes });
          }
        },
      },
      o.startTimeoutMs,
    );
    const started = runner;
    try {
      return { runner: started, info: await started.load(o.load, o.loadTimeoutMs) };
    } catch (error) {
      await started.kill();
      throw error;
    }
  }

  #onCrash(crash: RunnerCrash): void {
    // Crashes of a runner that is still loading surface as a rejected load instead.
    if (crash.pid !== this.#current?.pid || this.#state !== "ready") return;
    this.#current = undefined;
    this.#lastPid = crash.pid;
    this.#recordCrash(crash);
  }

  #recordCrash(crash: RunnerCrash): void {
    const now = performance.now();
    const { maxCrashes, windowMs, initialDelayMs, maxDelayMs } = this.#options.restart;
    this.#crashTimes = [...this.#crashTimes.filter((t) => now - t < windowMs), now];
    const crashes = this.#crashTimes.length;
    const restartInMs =
      crashes > maxCrashes ? undefined : Math.min(maxDelayMs, initialDelayMs * 2 ** (crashes - 1));
    this.emit("crash", { ...crash, ...this.#ids(), crashes, restartInMs });
    if (restartInMs === undefined) {
      this.#markBroken(
        new RunnerCrashedError(
          `runner of ${this.#options.modelId} crashed ${crashes} times in ${windowMs} ms`,
          {
            retryable: false,
            details: { modelId: this.#options.modelId, crashes },
          },
        ),
      );
      return;
    }
    this.#setState("restarting");
    this.#restartTimer = setTimeout(() => void this.#restart(), restartInMs);
  }

  async #restart(): Promise<void> {
    if (this.#state !== "restarting") return;
    this.#attempt++;
    try {
      // A crash can come from a file that changed under us; never reload an unverified file.
      await this.#options.verify?.(this.#options.load.modelPath);
    } catch (error) {
      this.#markBroken(toSluiceError(error, "MODEL_CORRUPT"));
      return;
    }
    if (this.#state !== "restarting") return;
    try {
      const { runner } = await this.#spawn();
      if (this.#state !== "restarting") {
        await runner.kill();
        return;
      }
      this.#current = runner;
      this.#setState("ready");
      this.emit("restarted", {
        ...this.#ids(),
        pid: runner.pid,
        previousPid: this.#lastPid,
        attempt: this.#attempt,
      });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter.resolve(runner);
    } catch (error) {
      if (this.#state !== "restarting") return;
      const cause = toSluiceError(error);
      this.#recordCrash({
        reason: "exit",
        pid: 0,
        exitCode: null,
        signal: null,
        inFlight: 0,
        message: `restart failed: ${cause.message}`,
      });
    }
  }

  #markBroken(error: SluiceError): void {
    this.#brokenError = error;
    this.#setState("broken");
    this.#flushWaiters(error);
    this.emit("broken", { ...this.#ids(), error });
  }

  #flushWaiters(error: SluiceError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #setState(state: RunnerState): void {
    this.#state = state;
    this.emit("state", { ...this.#ids(), state });
  }

  #ids(): { modelId: string; modelPath: string } {
    return { modelId: this.#options.modelId, modelPath: this.#options.load.modelPath };
  }
}
