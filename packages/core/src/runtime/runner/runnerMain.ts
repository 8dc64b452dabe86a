/**
 * Entry point of a runner process (forked by RunnerProcess). Kept small and
 * free of static heavy imports so that the hello message and heartbeats start
 * before node-llama-cpp is loaded.
 */
import type { EngineFactory } from "../engine/Engine.ts";
import type { RunnerEngineModule } from "./engineModule.ts";
import { type HostMessage, PROTOCOL_VERSION, type RunnerMessage } from "./protocol.ts";
import { RunnerServer } from "./RunnerServer.ts";

/** Passed by the host as the first argument, JSON-encoded. */
export interface RunnerBootConfig {
  heartbeatIntervalMs: number;
  /** Module specifier (file URL) of a RunnerEngineModule; the llama adapter when absent. */
  engineModule?: string;
  /** Passed to the engine module (e.g. LlamaEngineFactoryOptions). */
  engineOptions?: Record<string, unknown>;
}

function main(): void {
  if (process.send === undefined) {
    console.error("runner: must be started by the host with an IPC channel");
    process.exit(2);
  }
  const config = JSON.parse(process.argv[2] ?? "{}") as RunnerBootConfig;
  const parentPid = process.ppid;

  const send = (message: RunnerMessage): void => {
    if (process.connected) process.send?.(message);
  };

  // No orphans: the IPC channel closes when the host dies, even by SIGKILL. The
  // parent-pid check covers a channel that stays half-open; neither waits for
  // in-flight native work, because nobody is left to receive its results.
  process.on("disconnect", () => process.exit(0));
  // A terminal's Ctrl-C reaches the whole process group, runners included. The
  // host decides when a runner stops (after draining its requests), so the
  // runner ignores SIGINT and leaves on the host's shutdown message or when the
  // host goes away.
  process.on("SIGINT", () => {});

  const loadFactory = async (): Promise<EngineFactory> => {
    const mod = (
      config.engineModule === undefined
        ? await import("./llamaEngineModule.ts")
        : await import(config.engineModule)
    ) as RunnerEngineModule;
    return mod.createEngineFactory({
      log: (level, message) => send({ type: "log", level, message }),
      options: config.engineOptions,
    });
  };
  const server = new RunnerServer(send, loadFactory);

  const beat = (): void => {
    if (process.ppid !== parentPid) process.exit(0);
    send({
      type: "heartbeat",
      rssBytes: process.memoryUsage.rss(),
      busySequences: server.busySequences(),
      progress: server.progress,
    });
  };
  setInterval(beat, config.heartbeatIntervalMs);

  process.on("message", (message: HostMessage) => {
    if (message.type === "shutdown") {
      void server.shutdown().finally(() => process.exit(0));
      return;
    }
    server.handle(message);
  });
  process.on("uncaughtException", (error) => {
    send({ type: "log", level: "error", message: `uncaught: ${error.stack ?? error.message}` });
    process.exit(70);
  });
  process.on("unhandledRejection", (reason) => {
    send({ type: "log", level: "error", message: `unhandled rejection: ${String(reason)}` });
    process.exit(70);
  });

  send({ type: "hello", protocol: PROTOCOL_VERSION, pid: process.pid });
  beat();
}

main();
