import { stat } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
// Subpath imports: the models area alone loads in a fraction of the whole core barrel.
import { isSluiceError, toSluiceError } from "@sluice/core/errors";
import {
  createModelStore,
  DigestLock,
  getCatalog,
  type ListedModel,
  loadCatalog,
  type ModelProgress,
  type ModelStore,
  type ModelStoreOptions,
  type ResolvedModel,
  VerificationRecords,
} from "@sluice/core/models";
import { SingleBar } from "cli-progress";
import { Command, Option } from "commander";
import { readEnv } from "../env.ts";
import { installRoot } from "../paths.ts";
import { type ServedModel, serverClient, table } from "./client.ts";

/** Where the command writes and how it exits; tests pass collectors. */
export interface ModelsCommandIo {
  /** Defaults to `process.stdout.write`. */
  out?: (text: string) => void;
  /** Defaults to `process.stderr.write`. */
  err?: (text: string) => void;
  /** Called with the exit status. Defaults to setting `process.exitCode`. */
  exit?: (code: number) => void;
  /** Draw progress bars. Defaults to whether stderr is a terminal. */
  progress?: boolean;
}

interface GlobalOptions {
  modelsDir?: string;
  modelDirs?: string;
  catalog?: string;
  allowInsecureHost?: string[];
}

/** Files smaller than this hash too fast to deserve a progress bar. */
const HASH_BAR_MIN_BYTES = 64 * 1024 * 1024;

/**
 * The models directory: `--models-dir`, else `SLUICE_MODELS_DIR`, else
 * `<install root>/models` (the same default as `sluice serve`; `*.gguf` there is
 * git-ignored). Extra read-only directories: `--model-dirs`, else
 * `SLUICE_MODEL_DIRS` (`:`-separated).
 */
export async function storeOptionsFrom(options: GlobalOptions): Promise<ModelStoreOptions> {
  const env = readEnv();
  const modelsDir = resolve(options.modelsDir ?? env.SLUICE_MODELS_DIR ?? join(installRoot(), "models"));
  const extraDirs = (options.modelDirs ?? env.SLUICE_MODEL_DIRS ?? "").split(delimiter).filter(Boolean);
  return {
    modelsDir,
    extraDirs,
    catalog: options.catalog ? await loadCatalog(resolve(options.catalog)) : getCatalog(),
    allowInsecureHosts: options.allowInsecureHost ?? [],
  };
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

function progressBar(enabled: boolean): { onProgress: (p: ModelProgress) => void; stop: () => void } {
  if (!enabled) return { onProgress: () => {}, stop: () => {} };
  let bar: SingleBar | undefined;
  let phase: ModelProgress["phase"] | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stop,
    onProgress: (p) => {
      if (p.phase === "hash" && p.totalBytes < HASH_BAR_MIN_BYTES) return;
      if (phase !== p.phase || !bar) {
        stop();
        phase = p.phase;
        bar = new SingleBar({
          stream: process.stderr,
          format: `${p.phase === "download" ? "downloading" : "verifying  "} [{bar}] {percentage}% {done}/{size}`,
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(Math.max(p.totalBytes, 1), 0, { done: mib(0), size: mib(p.totalBytes) });
      }
      bar.setTotal(Math.max(p.totalBytes, 1));
      bar.update(p.bytes, { done: mib(p.bytes), size: mib(p.totalBytes) });
    },
  };
}

/**
 * `sluice models ls | pull <id|uri> | verify [<id>|--path <file>] | rm <id>`.
 * Failures print `error <CODE>: <message>` and exit 1.
 * Register with `program.addCommand(modelsCommand())`.
 */
export function modelsCommand(io: ModelsCommandIo = {}): Command {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code;
    });
  const showProgress = io.progress ?? process.stderr.isTTY === true;

  const models = new Command("models")
    .description("List, download, verify and remove model files")
    .option(
      "--models-dir <dir>",
      "directory of downloaded models (default: $SLUICE_MODELS_DIR or <workspace>/models)",
    )
    .option(
      "--model-dirs <dirs>",
      "extra read-only model directories, ':'-separated (default: $SLUICE_MODEL_DIRS)",
    )
    .option("--catalog <file>", "catalog JSON to use instead of models/catalog.json");
  models.addOption(
    new Option("--allow-insecure-host <host:port>", "allow plain http to this host (tests only; repeatable)")
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
      .hideHelp(),
  );

  /** Runs an action with a store, mapping failures to `error <CODE>` and exit 1. */
  const run =
    <A extends unknown[]>(action: (store: ModelStore, ...args: A) => Promise<number | undefined>) =>
    async (...args: A) => {
      try {
        const store = createModelStore(await storeOptionsFrom(models.opts<GlobalOptions>()));
        store.on("pin", (e) =>
          err(`warning: ${e.key} has no known digest; pinned sha256 ${e.sha256} in ${e.lockFile}\n`),
        );
        store.on("quarantine", (e) => err(`warning: quarantined ${e.path} → ${e.quarantinePath}\n`));
        exit((await action(store, ...args)) ?? 0);
      } catch (error) {
        const code = isSluiceError(error)
          ? error.code
          : error instanceof RangeError
            ? "CONFIG_INVALID"
            : "INTERNAL";
        err(`error ${code}: ${(error as Error)?.message ?? String(error)}\n`);
        exit(1);
      }
    };

  models
    .command("ls")
    .description("List models on disk and those a running server serves (--all: the whole catalog)")
    .option("--json", "print JSON")
    .option("--all", "list every catalog model, present or not")
    .option(
      "--url <url>",
      "server asked what it serves (default: $SLUICE_URL or http://127.0.0.1:$SLUICE_PORT|8080)",
    )
    .option("--api-key <key>", "API key for that server (default: $SLUICE_API_KEY)")
    .action(
      run(async (store, options: { json?: boolean; all?: boolean; url?: string; apiKey?: string }) => {
        const listed = await store.list();
        // What a running server serves; nothing answering is normal, not an error.
        const served = await serverClient(options)
          .getJson<{ data: ServedModel[] }>("/v1/models", 1500)
          .then((r) => r.data.filter((m) => m.sluice?.role !== "cascade"))
          .catch(() => undefined);
        const servedState = new Map((served ?? []).map((m) => [m.id, m.sluice?.state ?? "?"]));
        const digests = await digestStates(store, listed);
        if (options.json) {
          out(
            `${JSON.stringify(
              listed.map((l) => ({
                ...l.entry,
                path: l.path,
                location: l.location,
                served: servedState.get(l.entry.id) ?? null,
                digest: digests.get(l.entry.id),
              })),
              null,
              2,
            )}\n`,
          );
          return 0;
        }
        const shown = options.all ? listed : listed.filter((l) => l.path || servedState.has(l.entry.id));
        const rows = shown.map((l) => [
          `${l.entry.id}${l.entry.default ? " *" : ""}`,
          l.entry.role,
          l.entry.architecture,
          l.entry.quantization ?? "",
          l.path ? "yes" : "no",
          servedState.get(l.entry.id) ?? "-",
          l.sizeBytes !== undefined
            ? mib(l.sizeBytes)
            : l.entry.approxSizeBytes
              ? `~${mib(l.entry.approxSizeBytes)}`
              : "",
          digests.get(l.entry.id) ?? "",
          l.path ?? "-",
        ]);
        // Served models the catalog does not name (a generated preset, a file, a URI).
        const catalogIds = new Set(listed.map((l) => l.entry.id));
        for (const m of served ?? []) {
          if (catalogIds.has(m.id)) continue;
          const note = m.sluice?.synthetic ? "synthetic" : "";
          rows.push([m.id, m.sluice?.role ?? "?", "", "", "", m.sluice?.state ?? "?", "", note, "(served)"]);
        }
        out(table(["ID", "ROLE", "ARCH", "QUANT", "PRESENT", "SERVED", "SIZE", "DIGEST", "PATH"], rows));
        if (rows.length === 0) out("no models on disk; `sluice models ls --all` shows the catalog\n");
        out(
          `* default model of its role · SERVED: ${served ? `state on the server at ${serverClient(options).url}` : "no server answered"}\n`,
        );
        return 0;
      }),
    );

  models
    .command("pull")
    .description("Download a model into the models directory and verify it")
    .argument("<ref>", "catalog id, hf:<owner>/<repo>/<file>.gguf or https URL")
    .action(
      run(async (store, ref: string) => {
        const bar = progressBar(showProgress);
        try {
          const r = await store.pull(ref, { onProgress: bar.onProgress });
          bar.stop();
          out(`${describe(r)}\n`);
          return 0;
        } finally {
          bar.stop();
        }
      }),
    );

  models
    .command("verify")
    .description("Re-hash and check models (all present ones when no argument is given)")
    .argument("[ref]", "catalog id or URI")
    .option("--path <file>", "check a GGUF file in place")
    .option("--sha256 <hex>", "expected digest for --path (default: the one known for its file name)")
    .action(
      run(async (store, ref: string | undefined, options: { path?: string; sha256?: string }) => {
        const bar = progressBar(showProgress);
        try {
          if (options.path !== undefined) {
            const target = {
              path: resolve(options.path),
              ...(options.sha256 ? { sha256: options.sha256 } : {}),
            };
            const checked = await store.verify(target, { onProgress: bar.onProgress });
            // The bar redraws its line: it is gone before a result is printed, so it never erases one.
            bar.stop();
            out(`OK ${describe(checked)}\n`);
            return 0;
          }
          const refs = ref ? [ref] : (await store.list()).filter((l) => l.path).map((l) => l.entry.id);
          let failures = 0;
          for (const r of refs) {
            try {
              const checked = await store.verify(r, { onProgress: bar.onProgress });
              bar.stop();
              out(`OK ${describe(checked)}\n`);
            } catch (error) {
              bar.stop();
              if (refs.length === 1) throw error;
              const e = toSluiceError(error);
              err(`error ${e.code}: ${r}: ${e.message}\n`);
              failures++;
            }
          }
          if (refs.length === 0) out("no models present\n");
          return failures > 0 ? 1 : 0;
        } finally {
          bar.stop();
        }
      }),
    );

  models
    .command("rm")
    .description("Delete a model from the models directory (extra directories are never touched)")
    .argument("<ref>", "catalog id or URI")
    .action(
      run(async (store, ref: string) => {
        out(`removed ${await store.remove(ref)}\n`);
        return 0;
      }),
    );

  return models;
}

/**
 * What is known of each model's digest: `verified` (a record of this exact
 * file state matches), `unverified` (present, hashed at the next load or
 * verify), else for absent files `catalog` (the catalog names it), `pinned`
 * (pinned on an earlier download) or `none`.
 */
async function digestStates(store: ModelStore, listed: readonly ListedModel[]): Promise<Map<string, string>> {
  const records = new VerificationRecords(join(store.modelsDir, ".sluice-verified.json"));
  const lock = new DigestLock(store.lockFile);
  const out = new Map<string, string>();
  for (const l of listed) {
    const expected = l.entry.sha256 ?? (await lock.get(l.entry.id).catch(() => undefined))?.sha256;
    if (l.path) {
      const s = await stat(l.path, { bigint: true }).catch(() => undefined);
      const recorded = s ? await records.lookup(s).catch(() => undefined) : undefined;
      out.set(
        l.entry.id,
        recorded === undefined ? "unverified" : expected && recorded !== expected ? "MISMATCH" : "verified",
      );
    } else out.set(l.entry.id, l.entry.sha256 ? "catalog" : expected ? "pinned" : "none");
  }
  return out;
}

function describe(r: ResolvedModel): string {
  const name = r.entry?.id ?? r.path;
  return `${name} ${r.path} sha256=${r.sha256} (${r.summary.architecture}, ${mib(r.summary.fileSize)})`;
}
