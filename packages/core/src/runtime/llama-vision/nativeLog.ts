import type { RunnerLogLevel } from "../runner/protocol.ts";
import { loadBinding } from "./visionContext.ts";

export type NativeLogSink = (level: RunnerLogLevel, message: string) => void;

const sinks = new Set<NativeLogSink>();
let listener: { remove(): void } | undefined;

// llama.cpp's info lines are per-tensor and per-batch chatter: debug in Sluice's terms.
const LEVELS: Record<string, RunnerLogLevel> = { error: "error", warn: "warn", info: "debug" };

/**
 * Routes llama.node's native log lines to `sink` until the returned function
 * is called. The native hook is on while any sink is registered and switched
 * off with the last one: a live hook holds a thread-safe function that keeps
 * Node from exiting on its own.
 */
export async function attachNativeLog(sink: NativeLogSink): Promise<() => Promise<void>> {
  const llama = await loadBinding();
  sinks.add(sink);
  if (listener === undefined) {
    listener = llama.addNativeLogListener((level, text) => {
      const message = text.trimEnd();
      if (message.length === 0) return;
      for (const s of sinks) s(LEVELS[level] ?? "debug", message);
    });
    await llama.toggleNativeLog(true);
  }
  let detached = false;
  return async () => {
    if (detached) return;
    detached = true;
    sinks.delete(sink);
    if (sinks.size > 0 || listener === undefined) return;
    listener.remove();
    listener = undefined;
    await llama.toggleNativeLog(false);
  };
}
