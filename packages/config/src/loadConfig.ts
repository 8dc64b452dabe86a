import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ConfigInvalidError } from "@sluice/core";
import { parseDocument } from "yaml";
import { configInvalid, problemsOf } from "./ConfigInvalid.ts";
import { envOverrides } from "./env.ts";
import { mergeLayer, type SourceMap } from "./merge.ts";
import { deepFreeze, isPlainObject } from "./paths.ts";
import { type SluiceConfig, type SluiceConfigInput, sluiceConfigSchema } from "./schema/index.ts";

/** Options of {@link loadConfig}. Packages never read `process.env`; the app passes it in. */
export interface LoadConfigOptions {
  /** Environment to read `SLUICE_*` variables from. Defaults to `{}`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory of `default.yaml` and `<SLUICE_ENV>.yaml`. Defaults to `SLUICE_CONFIG_DIR`, else `<cwd>/config`. */
  configDir?: string;
  /** An explicit file used instead of the directory (`--config`). Defaults to `SLUICE_CONFIG`, else unset. */
  configFile?: string;
  /** Highest layer: values from CLI flags, shaped like the config. Defaults to `{}`. */
  overrides?: SluiceConfigInput;
  /** Base of relative paths. Defaults to `process.cwd()`. */
  cwd?: string;
}

/** A validated, frozen config and where it came from. */
export interface LoadedConfig {
  config: SluiceConfig;
  /** Files read, lowest layer first. */
  files: string[];
  /** Files a watcher should watch: those read plus expected ones not there yet. */
  watchFiles: string[];
  /** Dotted field path → layer that set it (file path, variable name or `cli`). */
  sources: SourceMap;
  /** `SLUICE_*` variables that name no field. */
  ignoredEnv: string[];
}

/** The files the layers come from, in order (may not exist). */
export function configFiles(options: LoadConfigOptions): { files: string[]; explicit: boolean } {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configFile ?? env.SLUICE_CONFIG;
  if (explicit) return { files: [resolve(cwd, explicit)], explicit: true };
  const dir = resolve(cwd, options.configDir ?? env.SLUICE_CONFIG_DIR ?? "config");
  const files = [join(dir, "default.yaml")];
  if (env.SLUICE_ENV) files.push(join(dir, `${env.SLUICE_ENV}.yaml`));
  return { files, explicit: false };
}

/**
 * Loads configuration in layers: built-in defaults → `config/default.yaml` →
 * `config/<SLUICE_ENV>.yaml` (or one `--config`/`SLUICE_CONFIG` file instead
 * of both) → `SLUICE_*` variables → CLI overrides.
 *
 * @throws ConfigInvalidError listing every bad field with its path, expected
 * value and source; also for unreadable or malformed YAML and a missing
 * explicit file.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const { files: candidates, explicit } = configFiles(options);
  const merged: Record<string, unknown> = {};
  const sources: SourceMap = new Map();
  const files: string[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (explicit)
        throw configInvalid([
          { path: "(file)", expected: "an existing file", received: file, message: "not found" },
        ]);
      continue;
    }
    mergeLayer(merged, readYaml(file), file, sources);
    files.push(file);
  }
  const env = envOverrides(options.env ?? {});
  const envSources: SourceMap = new Map();
  mergeLayer(merged, env.values, "env", envSources);
  for (const [path] of envSources) sources.set(path, env.origins.get(path) ?? originFor(env.origins, path));
  mergeLayer(merged, (options.overrides ?? {}) as Record<string, unknown>, "cli", sources);

  const parsed = sluiceConfigSchema.safeParse(merged);
  if (!parsed.success) throw configInvalid(problemsOf(parsed.error, merged, sources));
  return { config: deepFreeze(parsed.data), files, watchFiles: candidates, sources, ignoredEnv: env.ignored };
}

// A leaf under a variable that set a whole object (e.g. a YAML flow map).
function originFor(origins: Map<string, string>, path: string): string {
  for (const [prefix, name] of origins) if (path.startsWith(`${prefix}.`)) return name;
  return "env";
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw configInvalid(
      [{ path: "(file)", expected: "a readable file", received: file, message: String(error) }],
      error,
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const [first] = doc.errors;
  if (first) {
    const at = first.linePos?.[0];
    throw configInvalidYaml(
      file,
      at ? `line ${at.line}, column ${at.col}: ${first.message}` : first.message,
      first,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw configInvalidYaml(file, "the top level must be a mapping", undefined);
  return value;
}

function configInvalidYaml(file: string, message: string, cause: unknown): ConfigInvalidError {
  return configInvalid([{ path: "(file)", expected: "valid YAML mapping", source: file, message }], cause);
}
