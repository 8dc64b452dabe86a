import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSynthModel, workspaceRoot } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/startServer.ts";
import { startTestServer } from "./helpers.ts";
import { TmuxSession } from "./tmux.ts";

const serverDir = fileURLToPath(new URL("..", import.meta.url));
/** The CLI as `pnpm sluice` runs it (tsx on the sources), without pnpm's own start-up in between. */
const SLUICE = `${JSON.stringify(process.execPath)} --import tsx --conditions=@sluice/source src/cli.ts`;

let server: RunningServer;
const sessions: TmuxSession[] = [];
const session = (command: string) => {
  const s = new TmuxSession(command, serverDir, { NO_COLOR: "1" });
  sessions.push(s);
  return s;
};

beforeAll(async () => {
  // The default stays the synthetic lfm2-tiny; stories260K (shipped in models/fixtures) is served beside it.
  server = await startTestServer({
    SLUICE_MODEL_DIRS: join(workspaceRoot(), "models", "fixtures"),
    SLUICE_MODELS__PRELOAD: "[stories260K]",
    // Room for an answer long enough to be stopped half-way on any machine.
    SLUICE_CONTEXT_SIZE: 32768,
    SLUICE_LIMITS__MAX_TOKENS: "30000",
  });
});

afterAll(async () => {
  for (const s of sessions) s.kill();
  await server?.shutdown(2000);
});

const abortedChats = async () =>
  Number(
    /sluice_requests_total\{[^}]*op="chat"[^}]*code="ABORTED"[^}]*\} (\d+)/.exec(
      (await server.sluice.metrics()).body,
    )?.[1] ?? 0,
  );

describe("sluice run in a terminal (tmux)", () => {
  it("streams real words, stops the answer on Ctrl-C, and exits 0 on /bye", async () => {
    const t = session(`${SLUICE} run stories260K --url ${server.url} --max-tokens 30000`);
    await t.waitFor((s) => /^>>> ?$/m.test(s), 60_000, "the prompt");
    expect(t.screen()).toContain(">>> stories260K · /bye to leave, Ctrl-C stops an answer");

    t.type("Once upon a time");
    t.press("Enter");
    // Real English from the trained model: several common words after the prompt line.
    const streaming = await t.waitFor(
      (s) =>
        (s.split(">>> Once upon a time")[1]?.match(/\b(the|was|a|and|to|she|he|her)\b/gi)?.length ?? 0) >= 4,
      60_000,
      "streamed words",
    );
    expect(streaming).not.toContain("[stopped]");
    const before = await abortedChats();
    t.press("C-c");
    await t.waitFor((s) => /\[stopped\]\n>>> ?$/.test(s), 30_000, "[stopped] and a new prompt");
    // The server let go of the request because the client went away, not because the answer ran out.
    await expect.poll(() => server.sluice.inFlight, { timeout: 10_000, interval: 50 }).toBe(0);
    expect(await abortedChats()).toBe(before + 1);
    const stoppedAt = t.screen().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(t.screen().length).toBe(stoppedAt);

    t.type("/bye");
    t.press("Enter");
    await t.waitFor((s) => /EXIT=\d+/.test(s), 30_000, "the exit status");
    expect(t.screen()).toMatch(/EXIT=0$/);
  });

  it("says what to do when no server answers, and exits 1", async () => {
    const t = session(`${SLUICE} run --url http://127.0.0.1:9`);
    const screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 60_000, "the exit status");
    expect(screen).toContain("error: no Sluice server answers at http://127.0.0.1:9");
    expect(screen).toContain("start one with `pnpm sluice serve`");
    expect(screen).toMatch(/EXIT=1$/);
  });
});

describe("sluice models verify in a terminal (tmux)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-verify-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves its OK line on screen after the progress bar of a large file", async () => {
    // Over the 64 MiB below which no bar is drawn: the bar and the result share the terminal.
    const big = await ensureSynthModel({ preset: "lfm2-350m", type: "q4_0" });
    const t = session(`${SLUICE} models verify --models-dir ${dir} --path ${big}`);
    const screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 120_000, "the exit status");
    expect(screen).toMatch(/^OK .*lfm2-350m-q4_0-s0\.gguf sha256=[0-9a-f]{64} \(lfm2, \d+ MiB\)$/m);
    expect(screen).toMatch(/EXIT=0$/);
  });
});
