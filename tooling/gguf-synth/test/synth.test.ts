import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, LlamaChatSession, LlamaCompletion } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireModelFixture } from "../src/fixtures.ts";
import { writeSynthModel } from "../src/synth.ts";

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-synth-"));
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function chat16(path: string): Promise<{ text: string; chunks: number }> {
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 256, threads: 2 });
  try {
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    let chunks = 0;
    const text = await session.prompt("Tell me a story about a cache.", {
      maxTokens: 16,
      temperature: 0,
      onToken: (tokens) => {
        chunks += tokens.length;
      },
    });
    return { text, chunks };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe("lfm2-tiny", () => {
  it("is byte-identical for the same preset, type and seed, and differs for another seed", async () => {
    const a = await writeSynthModel({ preset: "lfm2-tiny", out: join(dir, "a.gguf"), seed: 7 });
    const b = await writeSynthModel({ preset: "lfm2-tiny", out: join(dir, "b.gguf"), seed: 7 });
    const c = await writeSynthModel({ preset: "lfm2-tiny", out: join(dir, "c.gguf"), seed: 8 });
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    expect(a.bytes).toBe(b.bytes);
  });

  it("loads in llama.cpp, streams 16 tokens from a chat session deterministically, and embeds", async () => {
    const { path } = await writeSynthModel({ preset: "lfm2-tiny", out: join(dir, "chat.gguf") });
    const first = await chat16(path);
    const second = await chat16(path);
    expect(first.chunks).toBe(16);
    expect(sha(second.text)).toBe(sha(first.text));

    const model = await llama.loadModel({ modelPath: path });
    const embedding = await model.createEmbeddingContext({ contextSize: 128, threads: 2 });
    const vector = (await embedding.getEmbeddingFor("hello world")).vector;
    expect(vector).toHaveLength(64);
    expect(vector.every((x) => Number.isFinite(x))).toBe(true);
    expect(vector.some((x) => x !== 0)).toBe(true);
    await embedding.dispose();
    await model.dispose();
  });

  it.each(["f32", "f16", "q4_0"] as const)("writes %s weights that llama.cpp decodes", async (type) => {
    const { path } = await writeSynthModel({ preset: "lfm2-tiny", type, out: join(dir, `t-${type}.gguf`) });
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 128, threads: 2 });
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const text = await completion.generateCompletion("abc", { maxTokens: 4, temperature: 0 });
    expect(model.tokenize(text).length).toBeGreaterThan(0);
    await context.dispose();
    await model.dispose();
  });

  it("leaves no file and no temp file when writing fails midway", async () => {
    const out = join(dir, "broken", "x.gguf");
    await rm(join(dir, "broken"), { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, "broken")));
    await expect(
      writeSynthModel({
        preset: "lfm2-tiny",
        out,
        onProgress: () => {
          throw new Error("disk full");
        },
      }),
    ).rejects.toThrow("disk full");
    expect(await readdir(join(dir, "broken"))).toEqual([]);
  });
});

describe("stories260K from an extra model directory", () => {
  const path = requireModelFixture("stories260K.gguf");
  it.runIf(path)("completes 'Once upon a time' greedily with 'there was'", async () => {
    const model = await llama.loadModel({ modelPath: path! });
    const context = await model.createContext({ contextSize: 256, threads: 2 });
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const text = await completion.generateCompletion("Once upon a time", { maxTokens: 24, temperature: 0 });
    expect(text).toContain("there was");
    await context.dispose();
    await model.dispose();
  });
});
