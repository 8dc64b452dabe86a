import { Command } from "commander";
import { type ServedModel, serverClient, table } from "./client.ts";

/** Where the command writes and how it exits; tests pass collectors. */
export interface PsIo {
  /** Defaults to `process.stdout.write`. */
  out?: (text: string) => void;
  /** Defaults to `process.stderr.write`. */
  err?: (text: string) => void;
  /** Defaults to setting `process.exitCode`. */
  exit?: (code: number) => void;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/** `sluice_model_memory_bytes{model,kind}` of one model and kind, from Prometheus text. */
function memoryOf(metrics: string, model: string, kind: string): number | undefined {
  let total: number | undefined;
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("sluice_model_memory_bytes{")) continue;
    if (!line.includes(`model="${model}"`) || !line.includes(`kind="${kind}"`)) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/**
 * `sluice ps`: the models a running server serves, whether loaded, their
 * memory (measured, else estimated) and busy sequences, like `ollama ps`.
 */
export function psCommand(io: PsIo = {}): Command {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code;
    });
  return new Command("ps")
    .description("Show the models a running server has loaded, their memory and busy sequences")
    .option("--url <url>", "server URL (default: $SLUICE_URL or http://127.0.0.1:$SLUICE_PORT|8080)")
    .option("--api-key <key>", "API key (default: $SLUICE_API_KEY)")
    .option("--all", "also list configured models that are not loaded")
    .action(async (options: { url?: string; apiKey?: string; all?: boolean }) => {
      const client = serverClient(options);
      try {
        const models = (await client.getJson<{ data: ServedModel[] }>("/v1/models")).data.filter(
          (m) => m.sluice?.role !== "cascade",
        );
        // Memory comes from /metrics, which needs the admin scope; without it the column says so.
        const metrics = await client.getText("/metrics").catch(() => undefined);
        const shown = options.all ? models : models.filter((m) => m.sluice?.state !== "unloaded");
        const rows = shown.map((m) => {
          const s = m.sluice ?? {};
          const rss = metrics === undefined ? undefined : memoryOf(metrics, m.id, "rss");
          const estimate = metrics === undefined ? undefined : memoryOf(metrics, m.id, "estimate");
          return [
            `${m.id}${s.default ? " *" : ""}`,
            s.state ?? "?",
            rss !== undefined ? mib(rss) : estimate !== undefined ? `~${mib(estimate)}` : "-",
            `${s.busySequences ?? "?"}/${s.sequences ?? "?"}`,
            String(s.queued ?? "?"),
            String(s.contextSize ?? "?"),
            s.synthetic ? "synthetic weights: output is noise" : "",
          ];
        });
        out(table(["MODEL", "STATE", "MEMORY", "BUSY", "QUEUED", "CONTEXT", "NOTE"], rows));
        if (rows.length === 0) out("no models loaded\n");
        out(
          `* default model · ${client.url}${metrics === undefined ? " · memory needs an admin key" : ""}\n`,
        );
        exit(0);
      } catch (error) {
        err(`error: ${(error as Error).message}\n`);
        exit(1);
      }
    });
}
