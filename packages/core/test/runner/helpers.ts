import { readFileSync } from "node:fs";
import { requireModelFixture } from "@sluice/gguf-synth";

/** stories260K, or undefined (loud skip) outside CI when it is missing. */
export const storiesPath = requireModelFixture("stories260K.gguf");

/** Rejects when `promise` does not settle within `ms`: no test waits forever on an event. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True while a process exists and is not a zombie (containers may lack a reaping init). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Polls until the process is gone, bounded by `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<number> {
  const started = performance.now();
  while (isAlive(pid)) {
    if (performance.now() - started > ms) throw new Error(`process ${pid} still alive after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}
