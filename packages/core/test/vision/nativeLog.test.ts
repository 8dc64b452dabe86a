import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureSynthVisionModel } from "@sluice/gguf-synth";
import { describe, expect, it } from "vitest";

/** Runs the child to its natural end (bounded), returning its exit code and RESULT line. */
function runChild(
  args: string[],
  boundMs: number,
): Promise<{ code: number | null; result: Record<string, unknown> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fixtures", "nativeLogChild.ts"), ...args],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the child did not exit on its own within ${boundMs} ms`));
    }, boundMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      resolve({ code, result: line ? JSON.parse(line.slice(7)) : {} });
    });
  });
}

describe("llama.node in a vision process", () => {
  it("refuses a mismatched projector natively with MODEL_UNSUPPORTED, routes native logs to the sink, and lets the process exit", async () => {
    const pair = await ensureSynthVisionModel({ preset: "lfm2-vl-tiny", type: "f32" });
    const mismatched = await ensureSynthVisionModel({
      preset: "lfm2-vl-tiny",
      type: "f32",
      projectionDim: 128,
    });
    const { code, result } = await runChild([pair.modelPath, pair.mmprojPath, mismatched.mmprojPath], 60_000);
    expect(code).toBe(0);
    expect(result.refused).toEqual({ code: "MODEL_UNSUPPORTED", reason: "projector-refused" });
    expect(result.generated).toBeGreaterThan(0);
    expect((result.levels as Record<string, number>).debug).toBeGreaterThan(10);
  });
});
