import { join } from "node:path";
import { workspaceRoot } from "@sluice/gguf-synth";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCREENSHOTS, type Stack, screenshots, startStack } from "./harness.ts";

// What a person sees on a fresh, offline machine: the synthetic lfm2-tiny is
// the API default and stories260K (shipped in models/fixtures) is served
// beside it, as `pnpm start` does.
let stack: Stack;
let page: Page;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

beforeAll(async () => {
  stack = await startStack({
    SLUICE_MODEL_DIRS: join(workspaceRoot(), "models", "fixtures"),
    SLUICE_MODELS__PRELOAD: "[stories260K]",
    // Room for the phone test's answer, long enough to still be streaming when it presses Stop.
    SLUICE_CONTEXT_SIZE: 32768,
    SLUICE_LIMITS__MAX_TOKENS: "30000",
  });
  page = await stack.browser.newPage();
});

afterAll(async () => {
  await stack?.close();
});

const lastAnswer = () => page.getByTestId("message-assistant").last();
/** Words a TinyStories model uses in every sentence; noise from random weights has none of them. */
const commonWords = (text: string) =>
  text.match(/\b(the|was|a|and|to|she|he|her|his|they|it)\b/gi)?.length ?? 0;

async function openChat(): Promise<void> {
  await page.goto(`${stack.playgroundUrl}/chat`);
  await page.getByRole("button", { name: "New chat" }).click();
}

async function send(text: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

describe("playground for people, offline, with stories260K beside the synthetic default", () => {
  it("preselects the real model and streams English from it; the banner says which model is which", async () => {
    await page.setViewportSize(DESKTOP);
    await openChat();
    const banner = page.getByTestId("banner-synthetic");
    await banner.getByTestId("banner-real").waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/API default lfm2-tiny has synthetic weights.*stories260K/);
    await expect
      .poll(() => page.getByLabel("Model or tier").inputValue(), { timeout: 10_000 })
      .toBe("stories260K");
    await page.getByLabel("Max tokens").fill("120");
    await send("Once upon a time");
    // Not a wait for the "streaming" state: stories260K writes 120 tokens in tens of
    // milliseconds, and when a loaded browser reads the whole stream at once React renders
    // it once, as done (a CI run waited 60 s for a state that never rendered). That it
    // streamed is in the pieces: the first token is sent on its own, the rest after it.
    await page.waitForSelector('[data-testid="message-assistant"][data-status="done"]', { timeout: 90_000 });
    const answer = lastAnswer();
    expect(Number(await answer.getAttribute("data-pieces"))).toBeGreaterThanOrEqual(2);
    expect(
      commonWords((await answer.getByTestId("message-content").textContent()) ?? ""),
    ).toBeGreaterThanOrEqual(4);
    expect(await answer.getByTestId("meta-tier").textContent()).toBe("stories260K");
    expect(Number(await answer.getByTestId("meta-tokens").textContent())).toBeGreaterThan(1);
    await screenshots(page, "people-chat-stories");
  });

  it("keeps the conversation through a reload, lists it, and deletes it", async () => {
    const before = await lastAnswer().getByTestId("message-content").textContent();
    // The finished answer is written to the browser's storage right after it renders.
    await page.waitForFunction(() =>
      (window.localStorage.getItem("sluice.conversations.v1") ?? "").includes('"status":"done"'),
    );
    await page.reload();
    await lastAnswer().waitFor({ timeout: 30_000 });
    expect(await lastAnswer().getByTestId("message-content").textContent()).toBe(before);
    expect(await page.getByTestId("message-user").last().textContent()).toContain("Once upon a time");
    const list = page.getByTestId("conversation-list");
    expect(await list.getByRole("button", { name: "Once upon a time", exact: true }).count()).toBe(1);
    await screenshots(page, "people-chat-reloaded");
    await list.getByRole("button", { name: "Delete conversation Once upon a time" }).click();
    await page.getByTestId("chat-empty").waitFor({ timeout: 5_000 });
    await page.reload();
    await page.getByTestId("chat-empty").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("conversation-list").count()).toBe(0);
  });

  it("renders an answer's markdown with a code block, and sanitizes what it must not run", async () => {
    // An answer as the chat stores it; stories260K writes stories, not code.
    const text = [
      "Here is **bold** text and a list:",
      "",
      "- one",
      "- two",
      "",
      "```js",
      "const answer = 42;",
      "```",
      "",
      '<img src="x" onerror="window.__pwned = true"> [link](javascript:window.__pwned=true)',
    ].join("\n");
    await page.evaluate((content) => {
      const entry = (role: string, c: string, id: string) => ({
        id,
        role,
        content: c,
        status: "done",
        pieces: 1,
      });
      localStorage.setItem(
        "sluice.conversations.v1",
        JSON.stringify([
          {
            id: "md",
            title: "Markdown",
            updatedAt: Date.now(),
            entries: [entry("user", "Show me code", "u1"), entry("assistant", content, "a1")],
          },
        ]),
      );
    }, text);
    await page.reload();
    const code = lastAnswer().locator(".markdown pre code");
    await code.waitFor({ timeout: 30_000 });
    expect(await code.textContent()).toBe("const answer = 42;\n");
    expect(await lastAnswer().locator(".markdown strong").textContent()).toBe("bold");
    expect(await lastAnswer().locator(".markdown li").count()).toBe(2);
    expect(
      await lastAnswer().locator(".markdown img[onerror], .markdown a[href^='javascript']").count(),
    ).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: boolean }).__pwned)).toBeUndefined();
    await screenshots(page, "people-chat-markdown");
  });

  it("on a phone, keeps Stop on screen while streaming, and keeps the figures after Stop", async () => {
    await page.setViewportSize(PHONE);
    await openChat();
    // Phones open with the settings folded below the conversation.
    const settings = page.locator("details.params-box");
    await expect.poll(() => settings.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.getByText("Model and sampling", { exact: true }).click();
    await expect.poll(() => settings.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await expect
      .poll(() => page.getByLabel("Model or tier").inputValue(), { timeout: 10_000 })
      .toBe("stories260K");
    await page.getByLabel("Max tokens").fill("30000");
    await send("Once upon a time");
    await page.waitForSelector(
      '[data-testid="message-assistant"][data-status="streaming"]:not([data-pieces="0"])',
      {
        timeout: 60_000,
      },
    );
    const stop = page.getByRole("button", { name: "Stop" });
    // Streaming on: the answer grows past the screen, and Stop must stay inside it.
    await expect
      .poll(async () => (await lastAnswer().boundingBox())?.height ?? 0, { timeout: 30_000 })
      .toBeGreaterThan(PHONE.height);
    const box = await stop.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    expect(await lastAnswer().getAttribute("data-status")).toBe("streaming");
    await page.screenshot({ path: join(SCREENSHOTS, "people-phone-streaming-390.png") });
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: join(SCREENSHOTS, "people-desktop-streaming-1280.png") });
    await page.setViewportSize(PHONE);
    await stop.click();
    await page.waitForSelector('[data-testid="message-assistant"][data-status="stopped"]', {
      timeout: 10_000,
    });
    const pieces = Number(await lastAnswer().getAttribute("data-pieces"));
    expect(Number(await lastAnswer().getByTestId("meta-tokens").textContent())).toBe(pieces);
    expect(await lastAnswer().getByTestId("meta-tps").textContent()).toMatch(/^\d+\.\d$/);
    // The header is compact: the conversation starts within the top fifth of the phone's screen.
    expect((await page.locator("header.top").boundingBox())!.height).toBeLessThan(PHONE.height / 5);
  });

  it("lists loaded, on-disk and pullable models with size, quantization and fit", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${stack.playgroundUrl}/models`);
    const catalog = page.getByTestId("catalog");
    await catalog.waitFor({ timeout: 30_000 });
    const stories = page.getByTestId("catalog-stories260K");
    expect(await stories.getByTestId("catalog-where").textContent()).toBe("loaded");
    expect(await stories.textContent()).toMatch(/1\.1 MiB · F32/);
    expect(await stories.getByTestId("catalog-fits").textContent()).toMatch(/^yes/);
    const pullable = page.getByTestId("catalog-lfm2-350m-q8_0");
    expect(await pullable.getByTestId("catalog-where").textContent()).toBe("pullable");
    expect(await pullable.textContent()).toMatch(/~361\.4 MiB · Q8_0/);
    expect(await pullable.getByTestId("catalog-fits").textContent()).toMatch(/^(yes|no) \(needs/);
    expect(await pullable.getByRole("button", { name: "Pull lfm2-350m-q8_0" }).count()).toBe(1);
    await screenshots(page, "people-models-catalog");
    // The chat's picker shows what is served, and which one is real.
    await page.goto(`${stack.playgroundUrl}/chat`);
    const chips = page.getByTestId("chat-model-chips");
    await chips.waitFor({ timeout: 30_000 });
    expect(await chips.textContent()).toMatch(/lfm2-tinyAPI default · synthetic: noise · ready/);
    expect(await chips.textContent()).toMatch(/stories260Kreal weights · ready/);
  });

  it("stops a failed pull's progress and shows why; nothing is left configured", async () => {
    await page.goto(`${stack.playgroundUrl}/models`);
    const ref = "hf:sluice-test/no-such-repo/missing.gguf";
    await page.getByLabel("Model id or URI to pull").fill(ref);
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    const progress = page.getByTestId("pull-progress");
    await expect.poll(() => progress.getAttribute("data-state"), { timeout: 60_000 }).toBe("failed");
    // A determinate bar does not animate; an indeterminate one (no value) would for ever.
    expect(await page.getByLabel("Pull progress").evaluate((el) => el.hasAttribute("value"))).toBe(true);
    expect(await page.getByTestId("error").getByTestId("error-code").textContent()).toMatch(
      /^(DOWNLOAD_FAILED|MODEL_NOT_FOUND)$/,
    );
    expect(await page.getByRole("button", { name: "Pull", exact: true }).isEnabled()).toBe(true);
    expect(stack.server.sluice.models.list().map((m) => m.id)).not.toContain(ref);
    await screenshots(page, "people-models-failed-pull");
  });

  it("shows the last minutes of metrics at once, and the p95 card equals the chart's p95", async () => {
    // The server keeps a snapshot every 2 s from its start: wait until it holds more history
    // than a visit could collect on its own (an event, not the tests' running time).
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${stack.server.url}/trpc/system.metricsHistory`)).text()).match(/"at":/g) ??
            []
          ).length,
        { timeout: 60_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(8);
    const visited = Date.now();
    await page.goto(`${stack.playgroundUrl}/metrics`);
    const p95 = page.getByTestId("stat-p95");
    await p95.waitFor({ timeout: 30_000 });
    // History from the server: the queue gauge has a point per snapshot the server kept
    // since the tests above began, more than one per 2 s since this visit could give.
    const sinceVisit = Math.ceil((Date.now() - visited) / 2000) + 1;
    expect(Number(await page.getByTestId("chart-queue").getAttribute("data-points"))).toBeGreaterThan(
      sinceVisit + 5,
    );
    const legend = (await page.getByTestId("chart-latency-p95").textContent()) ?? "";
    expect(legend).toMatch(/^p95: \d/);
    expect(await p95.textContent()).toBe(legend.replace(/^p95: /, ""));
    expect(await page.getByTestId("chart-latency").locator("svg text").allTextContents()).toEqual(
      expect.arrayContaining(["now", "time", "−3 min", "−6 min"]),
    );
    await screenshots(page, "people-metrics");
  });

  it("explains how to configure a cascade when none is, and serves a favicon", async () => {
    const missing: string[] = [];
    page.on("response", (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
    await page.goto(`${stack.playgroundUrl}/cascade`);
    const howto = page.getByTestId("cascade-howto");
    await howto.waitFor({ timeout: 30_000 });
    expect(await howto.locator("pre").textContent()).toMatch(/cascade:\n {2}enabled: true\n {2}tiers:/);
    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    expect(icon).toMatch(/icon/);
    const res = await fetch(new URL(icon as string, stack.playgroundUrl));
    expect(res.status).toBe(200);
    expect(missing).toEqual([]);
    await screenshots(page, "people-cascade");
  });
});
