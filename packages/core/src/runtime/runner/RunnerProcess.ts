import { type ChildProcess, fork, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import {
  DisposedError,
  RunnerCrashedError,
  reviveError,
  type SluiceError,
  TimeoutError,
} from "../../errors/index.ts";
import type { EngineInfo, EngineLoadOptions } from "../engine/Engine.ts";
import { withDecodeEnv } from "./decodeEnv.ts";
import { type HostMessage, PROTOCOL_VERSION, type RunnerLogRecord, type RunnerMessage } from "./protocol.ts";
import { readProcessRss } from "./readProcessRss.ts";
import { resolveRunnerEntry } from "./resolveRunnerEntry.ts";
import { runnerEnvironment } from "./runnerEnvironment.ts";
import type { RunnerBootConfig } from "./runnerMain.ts";
import { bwrapArguments, type RunnerSandboxStatus } from "./sandbox.ts";

/** Why a runner stopped serving. */
export interface RunnerCrash {
  reason: "exit" | "signal" | "heartbeat" | "hang" | "protocol";
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Requests that were failed with RUNNER_CRASHED. */
  inFlight: number;
  message: string;
}

export interface RunnerProcessOptions {
  modelId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Requests in flight and no message about any of them for this long: a native call hung. Defaults to none. */
  hangTimeoutMs?: number;
  engineModule?: string;
  engineOptions?: Record<string, unknown>;
  logger?: (record: RunnerLogRecord) => void;
  onHeartbeat?: (rssBytes: number) => void;
  onCrash(crash: RunnerCrash): void;
  /** Isolation of the process (see `resolveRunnerSandbox`). Defaults to none: a plain child with a minimal environment. */
  sandbox?: RunnerSandboxStatus;
  /** Files the sandboxed runner may read (model, projector). Defaults to none. */
  sandboxFiles?: readonly string[];
}

/** Receives the messages of one request until it ends. */
export interface PendingRequest {
  onMessage(message: RunnerMessage): void;
  fail(error: SluiceError): void;
}

type RequestMessage = Exclude<HostMessage, { type: "cancel" } | { type: "shutdown" }>;
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * One runner child process seen from the host: request table, heartbeat
 * watchdog and crash detection. It never restarts itself; RunnerSupervisor does.
 */
export class RunnerProcess {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #options: RunnerProcessOptions;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #lastSeenAt = performance.now();
  #lastProgressAt = performance.now();
  /** The last heartbeat's progress counter (see the heartbeat message). */
  #progress: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #dead = false;
  #stopping = false;
  #heartbeatRss = 0;
  #runnerPid: number | undefined;
  #runtimeRssBytes = 0;

  private constructor(options: RunnerProcessOptions) {
    this.#options = options;
    const entry = resolveRunnerEntry();
    const boot: RunnerBootConfig = {
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      engineModule: options.engineModule,
      engineOptions: options.engineOptions,
    };
    // Never the host's environment: API keys, cache and audit keys stay in the host;
    // the decode settings (RUNNER_DECODE_ENV) go on top.
    // Typed as the spawn options want it (apps may declare required variables such as NODE_ENV).
    const env = withDecodeEnv(runnerEnvironment() as NodeJS.ProcessEnv);
    // Piped, not inherited: native output goes to the host's logger as records.
    const stdio: ["ignore", "pipe", "pipe", "ipc"] = ["ignore", "pipe", "pipe", "ipc"];
    const sandbox = options.sandbox;
    if (sandbox?.active === "bwrap" && sandbox.bwrapPath) {
      const view = bwrapArguments({
        entryPath: entry.path,
        execArgv: entry.execArgv,
        files: [
          ...(options.sandboxFiles ?? []),
          ...(options.engineModule?.startsWith("file:") ? [options.engineModule] : []),
        ],
      });
      this.#child = spawn(
        sandbox.bwrapPath,
        [...view, "--", process.execPath, ...entry.execArgv, entry.path, JSON.stringify(boot)],
        { env, stdio, serialization: "advanced" },
      );
    } else {
      this.#child = fork(entry.path, [JSON.stringify(boot)], {
        execArgv: entry.execArgv,
        env,
        serialization: "advanced",
        stdio,
      });
    }
    if (this.#child.pid === undefined) {
      // Node reports the cause as an "error" event on the next tick; unheard, it would be an
      // uncaught exception that ends the host. The error thrown here is the report.
      this.#child.once("error", () => {});
      throw new RunnerCrashedError("runner process failed to spawn", {
        details: { file: this.#child.spawnfile },
      });
    }
    this.pid = this.#child.pid;
    this.#pipeLines("stdout", "info");
    this.#pipeLines("stderr", "warn");
    this.#child.on("message", (message: RunnerMessage) => this.#onMessage(message));
    this.#exited = new Promise((resolve) => {
      this.#child.once("exit", (exitCode, signal) => {
        this.#die({
          reason: signal === null ? "exit" : "signal",
          exitCode,
          signal,
          message: signal === null ? `runner exited with code ${exitCode}` : `runner killed by ${signal}`,
        });
        resolve();
      });
    });
    this.#child.on("error", (error) =>
      this.#log("error", `runner process error: ${error.message}`, "runner"),
    );
  }

  /** Forks a runner and waits for its hello. */
  static async start(options: RunnerProcessOptions, helloTimeoutMs: number): Promise<RunnerProcess> {
    const runner = new RunnerProcess(options);
    await runner.#waitFor<void>(
      helloTimeoutMs,
      "runner did not start",
      (resolve, reject) => ({
        onMessage: () => resolve(),
        fail: reject,
      }),
      0,
    );
    return runner;
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /** Settles once the process has exited (after its crash is reported). */
  get exited(): Promise<void> {
    return this.#exited;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Resident set size: /proc VmRSS, else the last heartbeat's figure. */
  async rssBytes(): Promise<number> {
    if (this.#options.sandbox?.active === "bwrap") {
      // The child is bwrap; the runner is its deepest descendant.
      this.#runnerPid ??= await deepestDescendant(this.pid);
    }
    return (await readProcessRss(this.#runnerPid ?? this.pid)) ?? this.#heartbeatRss;
  }

  /** RSS the runner had before it loaded its model. */
  get runtimeRssBytes(): number {
    return this.#runtimeRssBytes;
  }

  /** Loads the model in the runner, then arms the heartbeat watchdog. */
  async load(options: EngineLoadOptions, timeoutMs: number): Promise<EngineInfo> {
    const info = await this.#waitFor<EngineInfo>(
      timeoutMs,
      "model load timed out in the runner",
      (resolve, reject) => ({
        onMessage: (message) => {
          if (message.type === "loaded") {
            this.#runtimeRssBytes = message.runtimeRssBytes;
            resolve(message.info);
          } else if (message.type === "error") reject(reviveError(message.error));
        },
        fail: reject,
      }),
      this.send({ type: "load", options }, undefined),
    );
    this.#lastSeenAt = performance.now();
    // Armed only after load: module loading in the child can stall its event loop briefly.
    const period = Math.max(10, Math.floor(this.#options.heartbeatIntervalMs / 2));
    this.#watchdog = setInterval(() => this.#checkHeartbeat(), period);
    this.#watchdog.unref();
    return info;
  }

  /** Sends a request; `pending` receives its messages until it is removed with `finish`. */
  send(message: WithoutId<RequestMessage>, pending: PendingRequest | undefined): number {
    if (this.#dead)
      throw new RunnerCrashedError(`runner ${this.pid} is not running`, { details: { pid: this.pid } });
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#lastProgressAt = performance.now();
    if (pending !== undefined) this.#pending.set(id, pending);
    this.#child.send({ ...message, id } as HostMessage);
    return id;
  }

  /** Registers a handler for a request id returned by `send`. */
  track(id: number, pending: PendingRequest): void {
    this.#pending.set(id, pending);
  }

  finish(id: number): void {
    this.#pending.delete(id);
  }

  cancel(id: number): void {
    this.#pending.delete(id);
    if (!this.#dead && this.#child.connected) this.#child.send({ type: "cancel", id } satisfies HostMessage);
  }

  /** Graceful stop: ask the runner to dispose, SIGKILL after the grace period. Idempotent. */
  async stop(graceMs: number): Promise<void> {
    if (!this.#dead) {
      this.#stopping = true;
      if (this.#child.connected) this.#child.send({ type: "shutdown" } satisfies HostMessage);
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }

  /** Forceful stop. */
  async kill(): Promise<void> {
    this.#stopping = true;
    if (!this.#dead) this.#child.kill("SIGKILL");
    await this.#exited;
  }

  #onMessage(message: RunnerMessage): void {
    this.#lastSeenAt = performance.now();
    switch (message.type) {
      case "hello":
        if (message.protocol !== PROTOCOL_VERSION) {
          this.#die({
            reason: "protocol",
            exitCode: null,
            signal: null,
            message: `protocol ${message.protocol}`,
          });
          this.#child.kill("SIGKILL");
          return;
        }
        this.#pending.get(0)?.onMessage(message);
        return;
      case "heartbeat":
        this.#heartbeatRss = message.rssBytes;
        // Text generated without a message per token (stream false) is progress too.
        if (message.progress !== undefined && message.progress !== this.#progress) {
          if (this.#progress !== undefined) this.#lastProgressAt = this.#lastSeenAt;
          this.#progress = message.progress;
        }
        this.#options.onHeartbeat?.(message.rssBytes);
        return;
      case "log":
        this.#log(message.level, message.message, "llama");
        return;
      default:
        this.#lastProgressAt = this.#lastSeenAt;
        this.#pending.get(message.id)?.onMessage(message);
    }
  }

  #checkHeartbeat(): void {
    if (this.#dead) return;
    const now = performance.now();
    // The event loop beats every heartbeatIntervalMs even while native code decodes on the
    // thread pool, so silence means the process is stopped or its loop is stuck.
    const silentMs = now - this.#lastSeenAt;
    // A loop that still beats while no request moves for hangTimeoutMs has a native call stuck.
    const stuckMs = this.#pending.size > 0 ? now - this.#lastProgressAt : 0;
    const hang = this.#options.hangTimeoutMs;
    if (silentMs > this.#options.heartbeatTimeoutMs)
      this.#die({
        reason: "heartbeat",
        exitCode: null,
        signal: null,
        message: `runner missed heartbeats for ${Math.round(silentMs)} ms`,
      });
    else if (hang !== undefined && stuckMs > hang)
      this.#die({
        reason: "hang",
        exitCode: null,
        signal: null,
        message: `runner made no progress on its requests for ${Math.round(stuckMs)} ms`,
      });
    else return;
    // SIGKILL also ends a stopped (SIGSTOP) or hung process.
    this.#child.kill("SIGKILL");
  }

  #die(crash: Omit<RunnerCrash, "pid" | "inFlight">): void {
    if (this.#dead) return;
    this.#dead = true;
    clearInterval(this.#watchdog);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const error = this.#stopping
      ? new DisposedError("runner stopped")
      : new RunnerCrashedError(crash.message, {
          details: { pid: this.pid, reason: crash.reason, exitCode: crash.exitCode, signal: crash.signal },
        });
    for (const request of pending) request.fail(error);
    if (!this.#stopping) this.#options.onCrash({ ...crash, pid: this.pid, inFlight: pending.length });
  }

  #waitFor<T>(
    timeoutMs: number,
    timeoutMessage: string,
    make: (resolve: (value: T) => void, reject: (error: SluiceError) => void) => PendingRequest,
    id: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new TimeoutError(`${timeoutMessage} after ${timeoutMs} ms`, { details: { pid: this.pid } }));
        void this.kill();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#pending.delete(id);
      };
      this.#pending.set(
        id,
        make(
          (value) => {
            done();
            resolve(value);
          },
          (error) => {
            done();
            reject(error);
          },
        ),
      );
    });
  }

  #pipeLines(stream: "stdout" | "stderr", level: "info" | "warn"): void {
    const source = this.#child[stream];
    if (source === null) return;
    createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) =>
      this.#log(level, line, stream),
    );
  }

  #log(level: RunnerLogRecord["level"], message: string, source: RunnerLogRecord["source"]): void {
    this.#options.logger?.({ level, message, modelId: this.#options.modelId, pid: this.pid, source });
  }
}

/** The process at the end of a single-child chain under `pid` (bwrap → its init → node). */
async function deepestDescendant(pid: number): Promise<number | undefined> {
  let current = pid;
  for (let depth = 0; depth < 4; depth++) {
    const children = await readFile(`/proc/${current}/task/${current}/children`, "utf8").catch(() => "");
    const first = children.trim().split(/\s+/)[0];
    if (!first) break;
    current = Number(first);
  }
  return current === pid ? undefined : current;
}
