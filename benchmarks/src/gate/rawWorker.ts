/**
 * Raw node-llama-cpp in a process of its own, started by `rawProcessTarget`
 * with a runner's decode environment, so the runner path is compared with
 * llama.cpp under the same libuv pool and OpenMP policy. Answers one request
 * at a time over the IPC channel.
 */
import { rawTarget, type Target } from "./targets.ts";

type Request =
  | { id: number; op: "open"; modelPath: string; contextSize: number; sequences: number; threads?: number }
  | { id: number; op: "generate"; prompt: string; maxTokens: number }
  | { id: number; op: "close" };

let target: Target | undefined;
process.on("message", async (req: Request) => {
  try {
    let result: unknown;
    if (req.op === "open") target = await rawTarget(req.modelPath, req);
    else if (req.op === "generate") result = await target!.generate(req.prompt, req.maxTokens);
    else await target?.close();
    process.send!({ id: req.id, result });
    if (req.op === "close") process.disconnect();
  } catch (error) {
    process.send!({ id: req.id, error: (error as Error).stack ?? String(error) });
  }
});
