import { readFileSync } from "node:fs";
import type { Llama } from "node-llama-cpp";

/**
 * `threads: "auto"` under contention. The prebuilt llama.cpp CPU backend
 * synchronises its workers with a pure spin barrier (`ggml_barrier`, no
 * yield) at every graph node, so when another process takes one of the cores
 * a decode waits at each barrier for a descheduled worker: measured here, 92 %
 * of a 2-thread decode's cycles were spent in `ggml_barrier` on a loaded
 * machine. Halving the threads up front wastes an idle machine instead
 * (decode is memory-bound; 2 threads read ~40 % faster than 1 on 2 cores).
 *
 * So "auto" starts with every physical core and this governor lowers the
 * threads llama.cpp may use (node-llama-cpp's `llama.maxThreads`, applied per
 * batch) to the cores other processes leave free, and raises it again when
 * they leave. The load of other processes is the machine's busy time
 * (`/proc/stat`) minus this process's own CPU time, sampled every period.
 */
export interface ThreadGovernorOptions {
  /** Most threads (the physical cores). */
  maxThreads: number;
  /** Sampling period. Defaults to `500` ms. */
  periodMs?: number;
  /** Cores other processes must keep busy before one thread is given up. Defaults to `0.5`. */
  threshold?: number;
}

/** Threads to use when `otherCores` cores are busy with other processes. */
export function threadsForLoad(maxThreads: number, otherCores: number, threshold = 0.5): number {
  const taken = Math.max(0, Math.ceil(otherCores - threshold));
  return Math.max(1, Math.min(maxThreads, maxThreads - taken));
}

interface Sample {
  machineBusySec: number;
  selfSec: number;
  at: number;
}

// USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture Node supports.
const TICKS_PER_SEC = 100;

function readMachineBusySec(): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return Number.isFinite(busy) && f.length >= 4 ? busy / TICKS_PER_SEC : undefined;
  } catch {
    return undefined;
  }
}

function sample(): Sample | undefined {
  const machineBusySec = readMachineBusySec();
  if (machineBusySec === undefined) return undefined;
  const u = process.cpuUsage();
  return { machineBusySec, selfSec: (u.user + u.system) / 1e6, at: performance.now() };
}

/** Adjusts `llama.maxThreads` to the cores other processes leave free. */
export class ThreadGovernor {
  readonly #llama: Llama;
  readonly #max: number;
  readonly #threshold: number;
  readonly #timer: NodeJS.Timeout | undefined;
  #last: Sample | undefined;

  constructor(llama: Llama, options: ThreadGovernorOptions) {
    this.#llama = llama;
    this.#max = Math.max(1, Math.floor(options.maxThreads));
    this.#threshold = options.threshold ?? 0.5;
    llama.maxThreads = this.#max;
    this.#last = sample();
    // Without /proc (macOS, Windows) the threads stay at the physical cores.
    if (this.#last === undefined) return;
    this.#timer = setInterval(() => this.#tick(), options.periodMs ?? 500);
    this.#timer.unref();
  }

  /** Threads llama.cpp may use now. */
  get threads(): number {
    return this.#llama.maxThreads;
  }

  #tick(): void {
    const now = sample();
    const last = this.#last;
    this.#last = now;
    if (now === undefined || last === undefined) return;
    const seconds = (now.at - last.at) / 1000;
    if (seconds <= 0) return;
    const others = (now.machineBusySec - last.machineBusySec - (now.selfSec - last.selfSec)) / seconds;
    const threads = threadsForLoad(this.#max, others, this.#threshold);
    if (threads !== this.#llama.maxThreads) this.#llama.maxThreads = threads;
  }

  dispose(): void {
    clearInterval(this.#timer);
    this.#llama.maxThreads = this.#max;
  }
}

const governors = new Map<Llama, { governor: ThreadGovernor; users: number }>();

/** The process-wide governor of a binding, shared by every "auto" engine; call the returned function to release. */
export function acquireThreadGovernor(llama: Llama, maxThreads: number): () => void {
  let entry = governors.get(llama);
  if (!entry) {
    entry = { governor: new ThreadGovernor(llama, { maxThreads }), users: 0 };
    governors.set(llama, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.users === 0) {
      held.governor.dispose();
      governors.delete(llama);
    }
  };
}
