import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pooling, PresetName, WeightType } from "./presets.ts";
import { writeSynthModel } from "./synth.ts";
import { mmprojPathFor, type VisionPresetName, writeSynthVisionModel } from "./vision.ts";

export interface EnsureSynthOptions {
  preset: PresetName;
  /** Defaults to `"q8_0"`. */
  type?: WeightType;
  /** Defaults to `0`. */
  seed?: number;
  ctx?: number;
  /** Defaults to `"none"`. */
  pooling?: Pooling;
  /** Defaults to `$SLUICE_SYNTH_DIR`, else `<workspace>/.sluice/synth`. */
  dir?: string;
}

/** The workspace root (the directory holding pnpm-workspace.yaml). */
export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** File name of a synthetic model; encodes everything that changes its bytes. */
export function synthFileName(o: EnsureSynthOptions): string {
  const parts = [o.preset, o.type ?? "q8_0", `s${o.seed ?? 0}`];
  if (o.ctx !== undefined) parts.push(`c${o.ctx}`);
  if (o.pooling && o.pooling !== "none") parts.push(o.pooling);
  return `${parts.join("-")}.gguf`;
}

/**
 * Returns the path of a generated model, writing it on first use. Generation
 * is deterministic and atomic (temp file + rename), so concurrent callers in
 * several processes at worst write identical bytes twice.
 */
export async function ensureSynthModel(options: EnsureSynthOptions): Promise<string> {
  const dir = resolve(
    options.dir ?? process.env.SLUICE_SYNTH_DIR ?? join(workspaceRoot(), ".sluice", "synth"),
  );
  const path = join(dir, synthFileName(options));
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  await writeSynthModel({ ...options, out: path });
  return path;
}

/**
 * Searches `SLUICE_MODEL_DIRS` (`:`-separated), extra dirs, then the
 * fixtures the repository ships (`models/fixtures`) for a model file by name.
 */
export function findModelFixture(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [
    ...(process.env.SLUICE_MODEL_DIRS ?? "").split(delimiter).filter(Boolean),
    ...extraDirs,
    join(workspaceRoot(), "models", "fixtures"),
  ];
  for (const dir of dirs) {
    const candidate = resolve(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * For tests that need a real model file. In CI a missing file throws, so the
 * test fails instead of skipping; elsewhere it warns loudly and returns
 * undefined so the caller can skip.
 */
export function requireModelFixture(name: string): string | undefined {
  const path = findModelFixture(name);
  if (path) return path;
  const reason = `model fixture ${name} not found in SLUICE_MODEL_DIRS="${process.env.SLUICE_MODEL_DIRS ?? ""}" or models/fixtures`;
  if (process.env.CI) throw new Error(`${reason} (CI must have it: set SLUICE_MODEL_DIRS=../shared/models)`);
  console.warn(`\n!!! SKIPPING: ${reason}. Set SLUICE_MODEL_DIRS to the folder holding ${name}. !!!\n`);
  return undefined;
}

export interface EnsureSynthVisionOptions {
  preset: VisionPresetName;
  /** Type of the text model's weights. Defaults to `"q8_0"`. */
  type?: WeightType;
  /** Defaults to `0`. */
  seed?: number;
  /** Projector output width; another value than the text model's makes a mismatched pair. Defaults to the preset's. */
  projectionDim?: number;
  /** Defaults to `$SLUICE_SYNTH_DIR`, else `<workspace>/.sluice/synth`. */
  dir?: string;
}

/**
 * Returns the paths of a generated text model and its projector, writing them
 * on first use (both deterministic and atomic, as ensureSynthModel's).
 */
export async function ensureSynthVisionModel(
  options: EnsureSynthVisionOptions,
): Promise<{ modelPath: string; mmprojPath: string }> {
  const dir = resolve(
    options.dir ?? process.env.SLUICE_SYNTH_DIR ?? join(workspaceRoot(), ".sluice", "synth"),
  );
  const parts = [options.preset, options.type ?? "q8_0", `s${options.seed ?? 0}`];
  if (options.projectionDim !== undefined) parts.push(`p${options.projectionDim}`);
  const modelPath = join(dir, `${parts.join("-")}.gguf`);
  const mmprojPath = mmprojPathFor(modelPath);
  if (existsSync(modelPath) && existsSync(mmprojPath)) return { modelPath, mmprojPath };
  await mkdir(dir, { recursive: true });
  await writeSynthVisionModel({ ...options, out: modelPath, mmprojOut: mmprojPath });
  return { modelPath, mmprojPath };
}
