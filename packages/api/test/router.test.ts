import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSynthModel } from "@sluice/gguf-synth";
import { createSluice, type Sluice } from "@sluice/sdk";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appRouter,
  createContextFactory,
  errorBody,
  httpStatusFor,
  type Principal,
  sluiceErrorOf,
} from "../src/index.ts";

let sluice: Sluice;
let auditDir: string;
let contextFor: ReturnType<typeof createContextFactory>;
const infer: Principal = { id: "alice", scopes: ["infer"] };
const admin: Principal = { id: "root", scopes: ["infer", "admin"] };

beforeAll(async () => {
  const path = await ensureSynthModel({ preset: "lfm2-tiny" });
  auditDir = await mkdtemp(join(tmpdir(), "sluice-audit-"));
  sluice = await createSluice({
    telemetry: { log: { level: "silent" }, audit: { dir: auditDir, fsync: false } },
    models: [
      {
        id: "tiny",
        source: path,
        contextSize: 512,
        sequences: 2,
        threads: 1,
        preload: true,
        synthetic: true,
      },
    ],
  });
  contextFor = createContextFactory({ sluice });
});
afterAll(() => sluice?.close());

const caller = (principal: Principal | null) =>
  appRouter.createCaller(contextFor({ principal, requestId: "req-1" }));

/** The error a call rejects with, for assertions on its mapping. */
async function failure(call: Promise<unknown>): Promise<TRPCError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("the call succeeded");
}

describe("appRouter", () => {
  it("streams chat.stream events ending with done", async () => {
    const events = [];
    for await (const e of await caller(infer).chat.stream({
      messages: [{ role: "user", content: "hi" }],
      maxTokens: 3,
    }))
      events.push(e);
    expect(events.at(-1)).toMatchObject({ type: "done", model: "tiny" });
    expect(events.filter((e) => e.type === "token").length).toBeGreaterThan(0);
  });

  it("answers chat.complete with a forced tool call, then renders its result in a second turn", async () => {
    const tools = [
      {
        name: "add",
        parameters: { type: "object", properties: { x: { type: "integer" } }, required: ["x"] },
      },
    ];
    const first = await caller(infer).chat.complete({
      messages: [{ role: "user", content: "add" }],
      tools,
      toolChoice: { name: "add" },
      parallelToolCalls: false,
      maxTokens: 120,
      seed: 1,
    });
    expect(first.stats.finishReason).toBe("tool_calls");
    expect(first.toolCalls).toHaveLength(1);
    const call = first.toolCalls?.[0];
    expect(call?.name).toBe("add");
    expect(Number.isInteger(call?.arguments.x)).toBe(true);
    const second = await caller(infer).chat.complete({
      messages: [
        { role: "user", content: "add" },
        { role: "assistant", content: "", toolCalls: first.toolCalls },
        { role: "tool", toolCallId: call?.id, content: "3" },
      ],
      tools,
      maxTokens: 2,
      temperature: 0,
    });
    expect(second.stats.generatedTokens).toBeGreaterThan(0);
    expect(second.stats.promptTokens).toBeGreaterThan(first.stats.promptTokens);
  });

  it("takes a blank assistant turn as history (a model may answer nothing) but refuses a blank user turn", async () => {
    const r = await caller(infer).chat.complete({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "\n\n" },
        { role: "user", content: "and then?" },
      ],
      maxTokens: 2,
      temperature: 0,
    });
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    const error = await failure(
      caller(infer).chat.complete({
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "" },
          { role: "user", content: " \n " },
        ],
      }),
    );
    expect(sluiceErrorOf(error)?.details.field).toBe("messages[2].content");
    const nothing = await failure(
      caller(infer).chat.complete({ messages: [{ role: "assistant", content: " " }] }),
    );
    expect(sluiceErrorOf(nothing)?.details.field).toBe("messages");
  });

  it("refuses an empty user message through tRPC with the field path", async () => {
    const error = await failure(caller(infer).chat.complete({ messages: [{ role: "user", content: "" }] }));
    expect(sluiceErrorOf(error)?.details.field).toBe("messages[0].content");
  });

  it("embeds a batch as plain number arrays", async () => {
    const result = await caller(infer).embed({ texts: ["a", "b"] });
    expect(result.vectors).toHaveLength(2);
    expect(typeof result.vectors[0]?.[0]).toBe("number");
  });

  it("lists models and answers health without a key", async () => {
    expect((await caller(infer).models.list())[0]).toMatchObject({
      id: "tiny",
      state: "ready",
      synthetic: true,
    });
    expect(await caller(null).system.health()).toMatchObject({ status: "ok", ready: true });
  });

  it("maps a missing key to UNAUTHORIZED and an infer key on an admin procedure to FORBIDDEN", async () => {
    const unauthorized = await failure(caller(null).models.list());
    expect(unauthorized.code).toBe("UNAUTHORIZED");
    const forbidden = await failure(caller(infer).system.config());
    expect(forbidden.code).toBe("FORBIDDEN");
    expect(sluiceErrorOf(forbidden)?.code).toBe("FORBIDDEN");
  });

  it("maps wrong input types to BAD_REQUEST carrying INVALID_INPUT with the field path", async () => {
    const error = await failure(caller(infer).generate.complete({ prompt: "x", maxTokens: "ten" } as never));
    expect(error.code).toBe("BAD_REQUEST");
    const sluiceError = sluiceErrorOf(error);
    expect(sluiceError?.code).toBe("INVALID_INPUT");
    expect(sluiceError?.details.field).toBe("maxTokens");
    expect(errorBody(sluiceError, "req-1").error).toMatchObject({ param: "maxTokens", requestId: "req-1" });
  });

  it("maps an unknown model to NOT_FOUND with HTTP 404", async () => {
    const error = await failure(caller(admin).models.load({ id: "missing" }));
    expect(error.code).toBe("NOT_FOUND");
    const sluiceError = sluiceErrorOf(error);
    expect(sluiceError && httpStatusFor(sluiceError)).toBe(404);
  });

  it("streams pull progress ending with done, and audits admin operations with the caller", async () => {
    const events = [];
    for await (const p of await caller(admin).models.pull({ id: "tiny" })) events.push(p);
    expect(events.at(-1)).toMatchObject({ model: "tiny", phase: "done" });
    expect(events.at(-1)?.totalBytes).toBeGreaterThan(0);
    await caller(admin).models.verify({ id: "tiny" });
    // Audit appends run in the background; wait (bounded) for the verify line to land.
    // One series of files per process: read whichever this process writes.
    const deadline = Date.now() + 5000;
    let text = "";
    while (!text.includes("model.verify") && Date.now() < deadline) {
      const names = (await readdir(auditDir).catch(() => [])).filter((n) => n.endsWith(".jsonl"));
      text = (await Promise.all(names.map((n) => readFile(join(auditDir, n), "utf8")))).join("");
    }
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.action, l.actor, l.outcome])).toEqual(
      expect.arrayContaining([
        ["model.pull", "root", "success"],
        ["model.verify", "root", "success"],
      ]),
    );
  });

  it("shows the effective config to an admin and no cascade without one", async () => {
    expect(await caller(admin).system.config()).toMatchObject({ defaultModel: "tiny" });
    expect(await caller(admin).cascade.traces({ limit: 5 })).toEqual([]);
    expect(await caller(admin).cascade.abSummary()).toBeNull();
  });
});
