#!/usr/bin/env node
import { parseArgs } from "node:util";
import { isPresetName, type Pooling, PRESET_NAMES, type WeightType } from "./presets.ts";
import { SynthError, writeSynthModel } from "./synth.ts";
import { isVisionPresetName, VISION_PRESET_NAMES, writeSynthVisionModel } from "./vision.ts";

const TYPES: readonly WeightType[] = ["f32", "f16", "q8_0", "q4_0"];
const POOLINGS: readonly Pooling[] = ["none", "mean", "last"];
const USAGE = `usage: sluice-synth <preset> --out <file> [--type ${TYPES.join("|")}] [--seed N] [--ctx N] [--pooling ${POOLINGS.join("|")}]
presets: ${PRESET_NAMES.join(", ")}
vision presets (text model at --out, projector beside it as <name>.mmproj.gguf): ${VISION_PRESET_NAMES.join(", ")}`;

function fail(message: string): never {
  process.stderr.write(`sluice-synth: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof optionsSpec; allowPositionals: true }>>;
  const optionsSpec = {
    out: { type: "string", short: "o" },
    type: { type: "string", default: "q8_0" },
    seed: { type: "string" },
    ctx: { type: "string" },
    pooling: { type: "string", default: "none" },
    help: { type: "boolean", short: "h" },
  } as const;
  try {
    parsed = parseArgs({ options: optionsSpec, allowPositionals: true });
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const preset = positionals[0];
  if (!preset) fail("missing <preset>");
  if (!isPresetName(preset) && !isVisionPresetName(preset)) fail(`unknown preset "${preset}"`);
  if (!values.out) fail("missing --out <file>");
  if (!TYPES.includes(values.type as WeightType)) fail(`unknown --type "${values.type}"`);
  if (!POOLINGS.includes(values.pooling as Pooling)) fail(`unknown --pooling "${values.pooling}"`);

  const started = performance.now();
  if (isVisionPresetName(preset)) {
    const pair = await writeSynthVisionModel({
      preset,
      out: values.out,
      type: values.type as WeightType,
      seed: intOption("seed", values.seed),
      ctx: intOption("ctx", values.ctx),
    }).catch((error: unknown) => {
      if (error instanceof SynthError || error instanceof RangeError) fail(error.message);
      fail(`cannot write ${values.out}: ${(error as Error).message}`);
    });
    for (const result of [pair.model, pair.mmproj]) {
      process.stdout.write(
        `${result.path}\n  preset ${preset}, ${result.params.toLocaleString("en-US")} params, ${result.bytes.toLocaleString("en-US")} bytes\n  sha256 ${result.sha256}\n`,
      );
    }
    return;
  }
  let nextTenth = 1;
  const result = await writeSynthModel({
    preset,
    out: values.out,
    type: values.type as WeightType,
    seed: intOption("seed", values.seed),
    ctx: intOption("ctx", values.ctx),
    pooling: values.pooling as Pooling,
    onProgress(written, total) {
      // Progress lines only for files large enough to take a noticeable time.
      if (total < 64 << 20) return;
      while (written / total >= nextTenth / 10) {
        process.stderr.write(`sluice-synth: ${nextTenth * 10}% of ${(total / 1e6).toFixed(0)} MB\n`);
        nextTenth++;
      }
    },
  }).catch((error: unknown) => {
    if (error instanceof SynthError || error instanceof RangeError) fail(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    fail(`cannot write ${values.out}: ${code ?? ""} ${(error as Error).message}`);
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  process.stdout.write(
    `${result.path}\n  preset ${preset}, ${result.params.toLocaleString("en-US")} params, ${result.bytes.toLocaleString("en-US")} bytes, ${seconds} s\n  sha256 ${result.sha256}\n`,
  );
}

await main();
