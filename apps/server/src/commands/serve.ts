import { Command, InvalidArgumentError } from "commander";
import { runServer } from "../main.ts";

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("must be a port from 0 to 65535");
  return port;
}

/** `sluice serve`: the HTTP API (OpenAI-compatible /v1, tRPC /trpc, /metrics, /healthz, /readyz). */
export function serveCommand(): Command {
  return new Command("serve")
    .description("serve the HTTP API until SIGTERM/SIGINT (then drain in-flight requests and exit 0)")
    .option(
      "--host <host>",
      "interface to bind (default: $SLUICE_HOST or 127.0.0.1; loopback only without API keys)",
    )
    .option("--port <port>", "port (default: $SLUICE_PORT or 8080)", portNumber)
    .option(
      "--model <model>",
      "model to serve: catalog id, GGUF path, hf:/https URI or synthetic preset (default: $SLUICE_MODEL, else the catalog default, else lfm2-tiny)",
    )
    .option("--mmproj <path>", "multimodal projector for a vision model (default: $SLUICE_MMPROJ)")
    .action(async (options: { host?: string; port?: number; model?: string; mmproj?: string }) => {
      await runServer(options);
    });
}
