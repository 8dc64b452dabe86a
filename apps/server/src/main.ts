import { readEnv } from "./env.ts";
import { type ServeFlags, startServer } from "./startServer.ts";

/**
 * Runs the server until SIGTERM/SIGINT: readiness turns 503, in-flight
 * requests finish within the deadline, then the process exits 0.
 */
export async function runServer(flags: ServeFlags = {}): Promise<void> {
  const env = readEnv();
  const running = await startServer(env, flags);
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
