import { isSluiceError } from "@sluice/core/errors";
import { readEnv } from "./env.ts";
import { type ServeFlags, startServer } from "./startServer.ts";

/**
 * One line (or a few, for CONFIG_INVALID's list) for a start-up failure: the
 * typed error's code and message, never a stack trace. Anything that is not a
 * SluiceError is a bug and keeps its stack.
 */
export function formatStartupError(err: unknown): string {
  if (isSluiceError(err)) return `sluice: ${err.code}: ${err.message}`;
  return `sluice: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

/**
 * Runs the server until SIGTERM/SIGINT: readiness turns 503, in-flight
 * requests finish within the deadline, then the process exits 0. A start-up
 * failure prints its code and message and exits 1.
 */
export async function runServer(flags: ServeFlags = {}): Promise<void> {
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(readEnv(), flags);
  } catch (err) {
    console.error(formatStartupError(err));
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.sluice.telemetry.logger.info({ signal }, "shutting down");
    running
      .shutdown()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
