import { ensureSynthModel } from "@sluice/gguf-synth";
import { afterEach, describe, expect, it } from "vitest";
import { RunnerCrashedError } from "../../src/errors/index.ts";
import { ModelHost } from "../../src/runtime/host/index.ts";
import { createHostAdmission, estimateLoadMemory, MemoryBudget } from "../../src/runtime/memory/index.ts";
import { type RunnerEngine, RunnerEngineFactory } from "../../src/runtime/runner/index.ts";
import { storiesPath, waitForExit, within } from "./helpers.ts";

const loadOptions = () => ({ contextSize: 256, sequences: 2, threads: 1, embeddingContexts: 0 });
let host: ModelHost | undefined;

afterEach(async () => {
  await host?.destroy();
  host = undefined;
});

async function complete(engine: RunnerEngine): Promise<string> {
  for await (const event of engine.generate({ prompt: "Once upon a time", maxTokens: 16, temperature: 0 })) {
    if (event.type === "done") return event.text;
  }
  throw new Error("no done event");
}

describe.skipIf(storiesPath === undefined)("runner engines in the model host", () => {
  it("evicts the idle model for a second one when the budget fits one, and refuses while the first is busy", async () => {
    const paths: Record<string, string> = {
      stories: storiesPath as string,
      tiny: await ensureSynthModel({ preset: "lfm2-tiny" }),
    };
    const estimates: Record<string, number> = {};
    for (const [id, modelPath] of Object.entries(paths)) {
      estimates[id] = (await estimateLoadMemory({ ...loadOptions(), modelPath })).totalBytes;
    }
    // Room for the larger of the two, never for both.
    const budgetBytes = Math.max(...Object.values(estimates)) * 1.5;
    expect(budgetBytes).toBeLessThan(Object.values(estimates).reduce((a, b) => a + b));
    const budget = new MemoryBudget({ budgetBytes, evictor: () => host });
    const engineFactory = new RunnerEngineFactory({
      heartbeatIntervalMs: 100,
      onEvent: (name, event) => {
        if (name === "memory") budget.observeRss(event.modelPath, event.rssBytes);
      },
    });
    host = new ModelHost({
      engineFactory,
      resolve: async (id) => ({ path: paths[id] as string, sha256: "unchecked" }),
      loadOptions,
      keepAliveMs: 600_000,
      admit: createHostAdmission(budget),
      policy: { retries: 0 },
    });

    const first = await host.acquire("stories");
    const firstPid = (first.engine as RunnerEngine).pid as number;
    await first.release();
    expect(host.models()).toMatchObject([{ modelId: "stories", references: 0 }]);

    const second = await host.acquire("tiny");
    expect(host.models().map((m) => m.modelId)).toEqual(["tiny"]);
    await waitForExit(firstPid, 5000);
    expect(budget.snapshot().models).toMatchObject([{ modelId: "tiny", estimateBytes: estimates.tiny }]);

    // The second model is busy now: loading the first again must be refused, not evict it.
    const refused = await host.acquire("stories").catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "OUT_OF_MEMORY_BUDGET",
      details: {
        estimateBytes: estimates.stories,
        freeBytes: budgetBytes - (estimates.tiny as number),
        budgetBytes,
      },
    });
    expect(host.models().map((m) => m.modelId)).toEqual(["tiny"]);
    expect(await complete(second.engine as RunnerEngine)).not.toBe("");

    // The estimate sits next to the runner's measured RSS (reported on heartbeats).
    await within(
      new Promise<void>((resolve) => {
        const poll = () => (budget.snapshot().models[0]?.rssBytes ? resolve() : setTimeout(poll, 50));
        poll();
      }),
      5000,
      "an RSS report",
    );
    const [usage] = budget.snapshot().models;
    console.info(`tiny: estimate ${usage?.estimateBytes} B, RSS ${usage?.rssBytes} B`);
    expect(usage?.rssBytes).toBeGreaterThan(0);
    await second.release();
  });

  it("opens the model's breaker on a runner crash, then serves again once the runner is back", async () => {
    const modelPath = storiesPath as string;
    const engineFactory = new RunnerEngineFactory({
      heartbeatIntervalMs: 100,
      // Longer than the breaker's half-open delay, so the first request after the restart is its probe.
      restart: { initialDelayMs: 600 },
      onEvent: (name, event) => {
        if (name === "crash" && event.modelPath === modelPath) {
          host?.reportFailure(
            "stories",
            new RunnerCrashedError(event.message, { details: { pid: event.pid } }),
          );
        }
      },
    });
    host = new ModelHost({
      engineFactory,
      resolve: async () => ({ path: modelPath, sha256: "unchecked" }),
      loadOptions,
      keepAliveMs: 600_000,
      policy: { breakerThreshold: 1, halfOpenAfterMs: 300, retries: 0 },
    });
    const policy = host.policy("stories");
    const lease = await host.acquire("stories");
    const engine = lease.engine as RunnerEngine;
    const pid = engine.pid as number;
    const opened = new Promise<void>((resolve) => policy.onStateChange((s) => s === "open" && resolve()));
    const restarted = new Promise((resolve) => engine.on("restarted", resolve));

    let killed = false;
    let tokensAfterKill = 0;
    const failure = await (async () => {
      for await (const event of engine.generate({
        prompt: "Once upon a time",
        maxTokens: 200,
        temperature: 0,
      })) {
        if (event.type !== "token") continue;
        if (killed) tokensAfterKill++;
        else {
          killed = true;
          process.kill(pid, "SIGKILL");
        }
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "RUNNER_CRASHED", retryable: true });
    // The request failed on the crash, not at the end of its 200 tokens.
    expect(tokensAfterKill).toBeLessThan(199);
    await lease.release();

    await within(opened, 2000, "the breaker to open");
    expect(policy.state).toBe("open");
    await expect(host.acquire("stories")).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });

    await within(restarted, 15_000, "the runner restart");
    const text = await host.run("stories", (e) => complete(e as RunnerEngine));
    expect(text).not.toBe("");
    expect(policy.state).toBe("closed");
    expect(engine.pid).not.toBe(pid);
  });
});
