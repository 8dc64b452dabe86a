import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePng } from "@sluice/gguf-synth";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cascadeConfig, freePort, type Stack, screenshots, startNext, startStack } from "./harness.ts";

let stack: Stack;
let page: Page;

beforeAll(async () => {
  stack = await startStack({}, { config: cascadeConfig() });
  page = await stack.browser.newPage();
});

afterAll(async () => {
  await stack?.close();
});

/**
 * Opens the chat with a fixed seed: random weights sometimes sample the end
 * token first, and a seeded answer is the same on every run.
 */
async function openChat(maxTokens: number, model = ""): Promise<void> {
  await page.goto(`${stack.playgroundUrl}/chat`);
  // Each test starts its own conversation (the last one reopens after a navigation).
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByLabel("Max tokens").fill(String(maxTokens));
  await page.getByLabel("Model or tier").fill(model);
  await page.getByLabel("Seed").fill("7");
}

async function send(text: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

const lastAnswer = () => page.getByTestId("message-assistant").last();

describe("playground against a real Sluice server on lfm2-tiny", () => {
  it("streams a chat answer into the page token by token, with its figures", async () => {
    // Long enough to be seen mid-stream: lfm2-tiny decodes thousands of tokens a second.
    await openChat(1000);
    await expect.poll(() => page.getByTestId("banner-synthetic").count(), { timeout: 30_000 }).toBe(1);
    await send("Tell me a story about a river.");
    // Seen mid-stream: some pieces arrived while the answer is still streaming.
    await page.waitForSelector(
      '[data-testid="message-assistant"][data-status="streaming"]:not([data-pieces="0"])',
      {
        timeout: 60_000,
      },
    );
    await page.waitForSelector('[data-testid="message-assistant"][data-status="done"]', { timeout: 90_000 });
    const answer = lastAnswer();
    expect(Number(await answer.getAttribute("data-pieces"))).toBeGreaterThanOrEqual(2);
    expect(await answer.getByTestId("meta-tier").textContent()).toBe("lfm2-tiny");
    expect(await answer.getByTestId("meta-request-id").textContent()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await answer.getByTestId("meta-ttft").textContent()).toMatch(/\d/);
    expect(await answer.getByTestId("meta-tps").textContent()).toMatch(/^\d+\.\d$/);
    expect(await answer.getByTestId("meta-cache").textContent()).toBe("miss");
    expect(await answer.getByTestId("meta-confidence").textContent()).toMatch(/^[01]\.\d{3}$/);
    await screenshots(page, "chat");
  });

  it("stops a generation: the server frees the request and no more tokens arrive", async () => {
    await openChat(1500);
    await send("Write a very long essay.");
    await page.waitForSelector(
      '[data-testid="message-assistant"][data-status="streaming"]:not([data-pieces="0"])',
      {
        timeout: 60_000,
      },
    );
    // The button's own click event, not a pointer click at its coordinates: while the answer
    // streams the page follows it (useFollow), so Playwright's scroll-into-view, undone by the
    // next token's follow, sent its click to the chat beside the button; by its retry lfm2-tiny
    // had finished all 1,500 tokens on a fast machine. That Stop stays on screen and takes a
    // pointer click while streaming is the phone test's (people.test.ts).
    await page.getByRole("button", { name: "Stop" }).dispatchEvent("click");
    await page.waitForSelector('[data-testid="message-assistant"][data-status="stopped"]', {
      timeout: 5_000,
    });
    // The server has let go of the request: nothing can stream after this point.
    await expect.poll(() => stack.server.sluice.inFlight, { timeout: 10_000, interval: 50 }).toBe(0);
    // …because the client went away, not because the answer ran out.
    const metrics = (await stack.server.sluice.metrics()).body;
    expect(metrics).toMatch(/sluice_requests_total\{[^}]*op="chat"[^}]*code="ABORTED"[^}]*\} 1\b/);
    const pieces = Number(await lastAnswer().getAttribute("data-pieces"));
    expect(pieces).toBeLessThan(1500);
    await expect.poll(() => page.getByRole("button", { name: "Send" }).count()).toBe(1);
    expect(Number(await lastAnswer().getAttribute("data-pieces"))).toBe(pieces);
    expect(await lastAnswer().getAttribute("data-status")).toBe("stopped");
  });

  it("shows a server error with its stable code and correlation id", async () => {
    await openChat(4, "no-such-model");
    await send("Hello?");
    const error = page.getByTestId("error");
    await error.waitFor({ timeout: 30_000 });
    expect(await error.getByTestId("error-code").textContent()).toBe("MODEL_NOT_FOUND");
    const answerId = await lastAnswer().getByTestId("meta-request-id").textContent();
    expect(await error.getByTestId("error-request-id").textContent()).toBe(answerId);
    await screenshots(page, "chat-error");
  });
  it("previews an attached image, sends it with the message, and shows the server's verdict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-img-"));
    const file = join(dir, "pattern.png");
    writeFileSync(file, encodePng(64, 64));
    try {
      await openChat(4);
      await page.getByTestId("image-input").setInputFiles(file);
      const preview = page.getByTestId("image-preview");
      await preview.waitFor({ timeout: 10_000 });
      expect(await preview.locator("img").getAttribute("src")).toMatch(/^data:image\/png;base64,/);
      await send("What is in this picture?");
      await page.locator(".message.user .message-image").last().waitFor({ timeout: 10_000 });
      // lfm2-tiny has no projector: the server refuses the image with a typed error.
      const error = page.getByTestId("error");
      await error.waitFor({ timeout: 30_000 });
      expect(await error.getByTestId("error-code").textContent()).toMatch(
        /^(INVALID_INPUT|MODEL_UNSUPPORTED)$/,
      );
      expect(await preview.count()).toBe(0);
      await screenshots(page, "chat-image");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compares three texts in a 3×3 cosine-similarity heatmap with nearest neighbours", async () => {
    await page.goto(`${stack.playgroundUrl}/embeddings`);
    await page.getByLabel("Text 1", { exact: true }).fill("The river floods in spring.");
    await page.getByLabel("Text 2", { exact: true }).fill("Snowmelt swells the stream in April.");
    await page.getByLabel("Text 3", { exact: true }).fill("Invoices are due in thirty days.");
    await page.getByRole("button", { name: "Compare" }).click();
    await page.getByTestId("heatmap").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("heatmap-row").count()).toBe(3);
    const cells = await page.getByTestId("heat-cell").allTextContents();
    expect(cells).toHaveLength(9);
    // A text is identical to itself; the matrix is symmetric.
    for (const i of [0, 4, 8]) expect(Number(cells[i])).toBeCloseTo(1, 2);
    expect(cells[1]).toBe(cells[3]);
    expect(await page.getByTestId("neighbours").locator("li").count()).toBe(3);
    await screenshots(page, "embeddings");
  });

  it("shows each model's status and breaker state", async () => {
    await page.goto(`${stack.playgroundUrl}/models`);
    const row = page.getByTestId("model-lfm2-tiny");
    await row.waitFor({ timeout: 30_000 });
    const state = (await stack.server.sluice.models.status("lfm2-tiny")).state;
    await expect.poll(() => row.getByTestId("model-state").textContent(), { timeout: 10_000 }).toBe(state);
    expect(await row.getByTestId("model-breaker").textContent()).toBe("closed");
    await screenshots(page, "models");
    // Admin actions go through the server: unload, then load again.
    await row.getByRole("button", { name: "Unload lfm2-tiny" }).click();
    await expect
      .poll(() => row.getByTestId("model-state").textContent(), { timeout: 20_000 })
      .toBe("unloaded");
    expect((await stack.server.sluice.models.status("lfm2-tiny")).state).toBe("unloaded");
    await row.getByRole("button", { name: "Load lfm2-tiny", exact: true }).click();
    await expect.poll(() => row.getByTestId("model-state").textContent(), { timeout: 60_000 }).toBe("ready");
    // Pulling a model the store already holds runs to the "done" phase.
    await page.getByLabel("Model id or URI to pull").fill("lfm2-tiny");
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    await expect
      .poll(async () => (await page.getByTestId("pull-progress").textContent()) ?? "", { timeout: 30_000 })
      .toMatch(/^\s*done\b/);
    expect(await page.getByLabel("Pull progress").evaluate((el) => (el as HTMLProgressElement).value)).toBe(
      1,
    );
    await screenshots(page, "models-after-pull");
  });

  it("updates the metrics charts after a request", async () => {
    await page.goto(`${stack.playgroundUrl}/metrics`);
    const requests = page.getByTestId("stat-requests");
    await requests.waitFor({ timeout: 30_000 });
    const before = Number(await requests.textContent());
    const latencyPoints = Number(await page.getByTestId("chart-latency").getAttribute("data-points"));
    const res = await fetch(`${stack.server.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "lfm2-tiny", input: "one more request for the charts" }),
    });
    expect(res.status).toBe(200);
    await expect
      .poll(async () => Number(await requests.textContent()), { timeout: 15_000 })
      .toBeGreaterThan(before);
    await expect
      .poll(async () => Number(await page.getByTestId("chart-latency").getAttribute("data-points")), {
        timeout: 15_000,
      })
      .toBeGreaterThan(latencyPoints);
    expect(await page.getByTestId("chart-latency").locator("polyline, circle").count()).toBeGreaterThan(0);
    await screenshots(page, "metrics");
  });

  it("shows the cascade's decision for a request to model auto", async () => {
    await openChat(3, "auto");
    await send("Route me.");
    await page.waitForSelector('[data-testid="message-assistant"][data-status="done"]', { timeout: 90_000 });
    expect(await lastAnswer().getByTestId("meta-tier").textContent()).toBe("lfm2-tiny");
    await page.goto(`${stack.playgroundUrl}/cascade`);
    const rows = page.getByTestId("traces").locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(await rows.first().textContent()).toMatch(/lfm2-tiny.*accepted/);
    // No experiment is configured: the A/B summary says so.
    await page.getByTestId("ab-empty").waitFor({ timeout: 30_000 });
    await screenshots(page, "cascade");
  });

  it("says so when the server cannot be reached", async () => {
    const deadPort = await freePort();
    const port = await freePort();
    const next = await startNext(port, `http://127.0.0.1:${deadPort}`);
    try {
      await page.goto(`http://127.0.0.1:${port}/chat`);
      const banner = page.getByTestId("banner-unreachable");
      await banner.waitFor({ timeout: 30_000 });
      expect(await banner.textContent()).toContain(`127.0.0.1:${deadPort}`);
      await screenshots(page, "unreachable");
    } finally {
      next.kill("SIGTERM");
    }
  });
});

describe("playground against a server with API keys", () => {
  let keyed: Stack;
  let keyedPage: Page;

  beforeAll(async () => {
    keyed = await startStack({ SLUICE_API_KEYS: "reader:infer:reader-secret,ops:infer+admin:ops-secret" });
    keyedPage = await keyed.browser.newPage();
  });

  afterAll(async () => {
    await keyed?.close();
  });

  it("asks for a key, streams with the saved key, and shows FORBIDDEN for an admin page", async () => {
    await keyedPage.goto(`${keyed.playgroundUrl}/chat`);
    await keyedPage.getByText("This server needs an API key").waitFor({ timeout: 30_000 });
    await keyedPage.getByLabel("API key").fill("reader-secret");
    await keyedPage.getByRole("button", { name: "Save" }).click();
    // The stream carries the key as a header (the browser's EventSource could not).
    await keyedPage.getByLabel("Max tokens").fill("3");
    await keyedPage.getByLabel("Message", { exact: true }).fill("Hi");
    await keyedPage.getByLabel("Message", { exact: true }).press("Enter");
    await keyedPage.waitForSelector('[data-testid="message-assistant"][data-status="done"]', {
      timeout: 90_000,
    });
    expect(await keyedPage.evaluate(() => sessionStorage.getItem("sluice.apiKey"))).toBe("reader-secret");
    await keyedPage.goto(`${keyed.playgroundUrl}/metrics`);
    const error = keyedPage.getByTestId("error");
    await error.waitFor({ timeout: 30_000 });
    expect(await error.getByTestId("error-code").textContent()).toBe("FORBIDDEN");
    expect(await error.getByTestId("error-request-id").textContent()).toMatch(/\S{8,}/);
    await screenshots(keyedPage, "metrics-forbidden");
  });
});
