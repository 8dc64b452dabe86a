import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { AbortedError, DownloadFailedError } from "../../errors/index.ts";

export interface CrossProcessLockOptions {
  /** A lock not refreshed for this long belongs to a dead process and is taken over. */
  staleMs: number;
  signal?: AbortSignal;
  /** Called once if another holder makes this caller wait. */
  onWait?: () => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError("aborted while waiting for a model lock", { cause: signal?.reason }));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Path of the lock directory proper-lockfile creates for a name. */
export function lockPathOf(lockDir: string, name: string): string {
  return join(lockDir, `${name}.lock`);
}

/**
 * Runs `fn` while holding a cross-process lock on `name` (a proper-lockfile
 * lock directory under `lockDir`, refreshed while held). Waits for another
 * holder as long as it stays alive; a holder killed mid-way leaves a lock
 * that turns stale after `staleMs` and is then taken over. `fn` gets a
 * signal that aborts if the lock is lost.
 */
export async function withCrossProcessLock<T>(
  lockDir: string,
  name: string,
  options: CrossProcessLockOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  await mkdir(lockDir, { recursive: true });
  const target = join(lockDir, name);
  const lost = new AbortController();
  const onCallerAbort = () => lost.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  let release: (() => Promise<void>) | undefined;
  try {
    for (let wait = 50; release === undefined; wait = Math.min(wait * 1.5, 500)) {
      if (options.signal?.aborted) throw new AbortedError("aborted while waiting for a model lock");
      try {
        release = await lockfile.lock(target, {
          realpath: false,
          lockfilePath: lockPathOf(lockDir, name),
          stale: options.staleMs,
          onCompromised: (err) =>
            lost.abort(new DownloadFailedError(`lost the lock on ${name}: ${err.message}`, { cause: err })),
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
        if (wait === 50) options.onWait?.();
        await sleep(wait, options.signal);
      }
    }
    return await fn(lost.signal);
  } finally {
    options.signal?.removeEventListener("abort", onCallerAbort);
    if (release) await release().catch(() => {});
  }
}

/** Whether a live process holds the lock on `name`. */
export async function isLocked(lockDir: string, name: string, staleMs: number): Promise<boolean> {
  try {
    return await lockfile.check(join(lockDir, name), {
      realpath: false,
      lockfilePath: lockPathOf(lockDir, name),
      stale: staleMs,
    });
  } catch {
    return false;
  }
}
