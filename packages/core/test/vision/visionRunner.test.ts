import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { encodeJpeg, encodePng, ensureSynthVisionModel, testPattern } from "@sluice/gguf-synth";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatContentPart, GenerateEvent, GenerateParams } from "../../src/runtime/engine/Engine.ts";
import {
  createVisionRunnerEngineFactory,
  decodeImageDataUrl,
  imagePart,
  readImageFile,
  toDataUrl,
} from "../../src/runtime/llama-vision/index.ts";
import {
  type RunnerCrashEvent,
  type RunnerEngine,
  RunnerEngineFactory,
} from "../../src/runtime/runner/index.ts";

const LOAD = { contextSize: 4096, threads: 2, batchSize: 512 } as const;
let pair: { modelPath: string; mmprojPath: string };
let mismatched: { modelPath: string; mmprojPath: string };
let dir: string;
let engine: RunnerEngine;
const crashes: RunnerCrashEvent[] = [];

/** Rejects when `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const factory = (): ReturnType<typeof createVisionRunnerEngineFactory> =>
  createVisionRunnerEngineFactory({
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 3000,
    restart: { initialDelayMs: 50 },
    vision: { maxPixels: 640 * 640, maxBytes: 1024 * 1024 },
    logger: (record) => {
      if (record.level === "error" && process.env.VISION_TEST_LOG)
        console.error(`[runner ${record.pid}] ${record.message}`);
    },
  });

function ask(parts: ChatContentPart[], maxTokens = 8): GenerateParams {
  return {
    messages: [{ role: "user", content: [...parts, { type: "text", text: "What is in the picture?" }] }],
    maxTokens,
    temperature: 0,
  };
}

async function run(
  target: RunnerEngine,
  params: GenerateParams,
): Promise<Extract<GenerateEvent, { type: "done" }>> {
  for await (const event of target.generate(params)) if (event.type === "done") return event;
  throw new Error("the stream ended without a done event");
}

/** A vision runner hosting one of the binding-fault fixtures (real binding, one failure injected). */
function withFixture(fixture: string, options: Record<string, unknown> = {}): Promise<RunnerEngine> {
  return new RunnerEngineFactory({
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 3000,
    restart: { initialDelayMs: 50 },
    engineModule: pathToFileURL(join(import.meta.dirname, "fixtures", fixture)).href,
    engineOptions: { probeModelPath: pair.modelPath, ...options },
  }).load({ ...pair, ...LOAD });
}

async function failure(params: GenerateParams): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await run(engine, params);
  } catch (error) {
    return error as { code: string; details: Record<string, unknown> };
  }
  throw new Error("the request succeeded although it should have been refused");
}

beforeAll(async () => {
  pair = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", type: "f32" });
  mismatched = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", type: "f32", projectionDim: 128 });
  dir = await mkdtemp(join(tmpdir(), "sluice-vision-"));
  engine = await factory().load({ ...pair, ...LOAD });
  engine.on("crash", (event) => crashes.push(event));
});

afterAll(async () => {
  await engine?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("vision runner on lfm2-vl-tiny", () => {
  it.each([
    ["PNG", "image/png", encodePng(256, 256)],
    ["JPEG", "image/jpeg", encodeJpeg(320, 240)],
  ] as const)(
    "answers about a %s given by path and by base64, identically for the same bytes",
    async (_, mime, bytes) => {
      const path = join(dir, `picture.${mime.split("/")[1]}`);
      await writeFile(path, bytes);
      const byPath = await run(engine, ask([imagePart(await readImageFile(path))]));
      const byBase64 = await run(engine, ask([imagePart(decodeImageDataUrl(toDataUrl(bytes, mime)))]));
      const textOnly = await run(engine, ask([]));

      expect(byPath.stats.generatedTokens).toBe(8);
      expect(byPath.text.length).toBeGreaterThan(0);
      expect(byBase64.text).toBe(byPath.text);
      // The image became tokens of the prompt: lfm2-vl-tiny's projector gives 64 per 256-pixel tile at least.
      expect(byPath.stats.promptTokens - textOnly.stats.promptTokens).toBeGreaterThanOrEqual(64);
      expect(engine.busySequences()).toBe(0);
    },
  );

  it("answers about a WebP (transcoded in the runner) exactly as about a PNG of the same pixels", async () => {
    const [width, height] = [200, 150];
    const webp = await sharp(Buffer.from(testPattern(width, height)), { raw: { width, height, channels: 3 } })
      .webp({ lossless: true })
      .toBuffer();
    const fromWebp = await run(engine, ask([imagePart(decodeImageDataUrl(toDataUrl(webp, "image/webp")))]));
    const fromPng = await run(
      engine,
      ask([{ type: "image", data: encodePng(width, height), mimeType: "image/png" }]),
    );
    expect(fromWebp.stats.generatedTokens).toBe(8);
    expect(fromWebp.stats.promptTokens).toBe(fromPng.stats.promptTokens);
    expect(fromWebp.text).toBe(fromPng.text);
  });

  it("runs llama.node in the vision runner and never loads node-llama-cpp's native library there", async () => {
    const maps = await readFile(`/proc/${engine.pid}/maps`, "utf8");
    expect(maps).toMatch(/node-llama-linux-x64\/index\.node/);
    expect(maps).not.toMatch(/node-llama-cpp/);
  });

  it("refuses bad images and unsafe requests with INVALID_INPUT and keeps serving on the same runner", async () => {
    const pid = engine.pid;
    const good = encodePng(128, 96);
    const corrupt = new Uint8Array(good);
    corrupt[corrupt.length - 20] = (corrupt[corrupt.length - 20] as number) ^ 0xff;
    // Sampling factor 0 in the frame header: the structure is sound, llama.cpp's decoder refuses it.
    const undecodable = new Uint8Array(encodeJpeg(64, 48));
    const sof = Buffer.from(undecodable).indexOf(Buffer.from([0xff, 0xc0]));
    undecodable[sof + 11] = 0;
    const webp = await sharp(Buffer.from(testPattern(64, 48)), {
      raw: { width: 64, height: 48, channels: 3 },
    })
      .webp({ quality: 80 })
      .toBuffer();
    // Keep the RIFF structure, destroy the VP8 bitstream: only the decoder can tell.
    const corruptWebp = new Uint8Array(webp);
    corruptWebp.fill(0xa5, 30);
    const cases: Array<[string, GenerateParams, string]> = [
      ["corrupt WebP", ask([{ type: "image", data: corruptWebp, mimeType: "image/webp" }]), "corrupt"],
      ["corrupt PNG", ask([{ type: "image", data: corrupt, mimeType: "image/png" }]), "corrupt"],
      [
        "non-image",
        ask([{ type: "image", data: new TextEncoder().encode("not a picture"), mimeType: "image/png" }]),
        "not-an-image",
      ],
      [
        "oversized image",
        ask([{ type: "image", data: encodePng(1024, 768), mimeType: "image/png" }]),
        "too-many-pixels",
      ],
      [
        "undecodable JPEG",
        ask([{ type: "image", data: undecodable, mimeType: "image/jpeg" }]),
        "undecodable",
      ],
      ["stray media marker", ask([{ type: "text", text: "look: <__media__>" }]), "media-marker"],
      ["JSON schema", { ...ask([]), jsonSchema: { $ref: "#/nope" } }, "unsupported-parameter"],
    ];
    for (const [name, params, reason] of cases) {
      const error = await failure(params);
      expect({ name, code: error.code, reason: error.details?.reason }).toEqual({
        name,
        code: "INVALID_INPUT",
        reason,
      });
      const next = await run(engine, ask([{ type: "image", data: good, mimeType: "image/png" }]));
      expect(next.stats.generatedTokens).toBe(8);
    }
    expect(engine.pid).toBe(pid);
    expect(crashes).toHaveLength(0);
  });

  it("serves concurrent image requests one at a time, each as it would be served alone", async () => {
    const images = [64, 96, 128].map((side) => ({
      type: "image" as const,
      data: encodePng(side, side),
      mimeType: "image/png",
    }));
    const alone: string[] = [];
    for (const image of images) alone.push((await run(engine, ask([image]))).text);
    const together = await Promise.all(images.map((image) => run(engine, ask([image]))));
    expect(together.map((r) => r.text)).toEqual(alone);
    expect(engine.info.sequences).toBe(1);
  });

  it("stops a generation when its signal aborts: ABORTED, and the next request runs", async () => {
    const controller = new AbortController();
    const image = { type: "image" as const, data: encodePng(96, 96), mimeType: "image/png" };
    let tokens = 0;
    let error: unknown;
    try {
      for await (const event of engine.generate(ask([image], 3000), controller.signal)) {
        if (event.type === "token" && ++tokens === 2) controller.abort();
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(tokens).toBeLessThan(3000);
    expect((await run(engine, ask([image]))).stats.generatedTokens).toBe(8);
    expect(engine.busySequences()).toBe(0);
  });

  it("refuses a projector that does not match the text model with MODEL_UNSUPPORTED, and one that is missing", async () => {
    await expect(
      factory().load({ modelPath: pair.modelPath, mmprojPath: mismatched.mmprojPath, ...LOAD }),
    ).rejects.toMatchObject({
      code: "MODEL_UNSUPPORTED",
      details: { reason: "projector-mismatch", projectionDim: 128, embeddingLength: 64 },
    });
    await expect(factory().load({ modelPath: pair.modelPath, ...LOAD })).rejects.toMatchObject({
      code: "MODEL_UNSUPPORTED",
      details: { reason: "no-projector" },
    });
    // Swapped roles and a truncated projector are refused by the GGUF checks, before any native load.
    await expect(
      factory().load({ modelPath: pair.mmprojPath, mmprojPath: pair.modelPath, ...LOAD }),
    ).rejects.toMatchObject({ code: "MODEL_UNSUPPORTED" });
    const truncated = join(dir, "truncated.mmproj.gguf");
    await writeFile(truncated, (await readFile(pair.mmprojPath)).subarray(0, 100_000));
    await expect(
      factory().load({ modelPath: pair.modelPath, mmprojPath: truncated, ...LOAD }),
    ).rejects.toMatchObject({
      code: "MODEL_CORRUPT",
    });
    const next = await run(engine, ask([{ type: "image", data: encodePng(64, 64), mimeType: "image/png" }]));
    expect(next.stats.generatedTokens).toBe(8);
  });

  it("fails an image request with RUNNER_CRASHED on a SIGKILL, restarts, and serves the next", async () => {
    const victim = await factory().load({ ...pair, ...LOAD });
    try {
      const pid = victim.pid as number;
      const seen: RunnerCrashEvent[] = [];
      victim.on("crash", (event) => seen.push(event));
      const restarted = new Promise((resolve) => victim.on("restarted", resolve));
      const image = { type: "image" as const, data: encodePng(256, 256), mimeType: "image/png" };
      let killed = false;
      let error: unknown;
      try {
        for await (const event of victim.generate(ask([image], 3000))) {
          if (event.type === "token" && !killed) {
            killed = true;
            process.kill(pid, "SIGKILL");
          }
        }
      } catch (caught) {
        error = caught;
      }
      expect(killed).toBe(true);
      expect(error).toMatchObject({ code: "RUNNER_CRASHED", retryable: true });
      expect(seen[0]).toMatchObject({ pid, signal: "SIGKILL", inFlight: 1 });
      await within(restarted, 20_000, "the vision runner's restart");
      expect(victim.pid).not.toBe(pid);
      const next = await run(victim, ask([image]));
      expect(next.stats.generatedTokens).toBe(8);
    } finally {
      await victim.dispose();
    }
  });

  it("replays, on the replacement runner, a request the binding refused before starting it", async () => {
    const marker = join(dir, "busy-once");
    const busy = await withFixture("busyBindingVisionModule.ts", { marker });
    try {
      const pid = busy.pid as number;
      const crashed: RunnerCrashEvent[] = [];
      busy.on("crash", (event) => crashed.push(event));
      const image = { type: "image" as const, data: encodePng(64, 64), mimeType: "image/png" };
      const done = await run(busy, ask([image, { type: "text", text: "BUSY" }]));
      expect(done.stats.generatedTokens).toBe(8);
      // Refused once, by the first runner, which retired; served by its replacement.
      expect((await readFile(marker, "utf8")).trim()).toBe(String(pid));
      expect(crashed).toMatchObject([{ pid, exitCode: 75, inFlight: 0 }]);
      expect(busy.pid).not.toBe(pid);
      expect((await run(busy, ask([image]))).stats.generatedTokens).toBe(8);
    } finally {
      await busy.dispose();
    }
  });

  it("replays a refused request once, not again when the replacement refuses it too", async () => {
    const marker = join(dir, "busy-always");
    const busy = await withFixture("busyBindingVisionModule.ts", { marker, always: true });
    try {
      await expect(run(busy, ask([{ type: "text", text: "BUSY" }]))).rejects.toMatchObject({
        code: "INFERENCE_FAILED",
        retryable: true,
        details: { started: false, retiring: true },
      });
      expect((await readFile(marker, "utf8")).trim().split("\n")).toHaveLength(2);
    } finally {
      await busy.dispose();
    }
  });

  it("replaces the runner when a failed completion poisons the native context, and serves the next request", async () => {
    const faulty = await withFixture("faultInjectingVisionModule.ts");
    try {
      const pid = faulty.pid as number;
      const crashed = new Promise<RunnerCrashEvent>((resolve) => faulty.on("crash", resolve));
      const restarted = new Promise((resolve) => faulty.on("restarted", resolve));
      const image = { type: "image" as const, data: encodePng(64, 64), mimeType: "image/png" };
      expect((await run(faulty, ask([image]))).stats.generatedTokens).toBe(8);

      await expect(run(faulty, ask([image, { type: "text", text: "FAULT" }]))).rejects.toMatchObject({
        code: "INFERENCE_FAILED",
        retryable: true,
      });
      expect(await within(crashed, 5000, "the poisoned runner's exit")).toMatchObject({ pid, exitCode: 75 });
      await within(restarted, 20_000, "the vision runner's restart");
      expect(faulty.pid).not.toBe(pid);
      expect((await run(faulty, ask([image]))).stats.generatedTokens).toBe(8);
    } finally {
      await faulty.dispose();
    }
  });
});
