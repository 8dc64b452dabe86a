import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScreenshots, type Stack, screenshots, startStack } from "./harness.ts";

let stack: Stack;
let page: Page;

beforeAll(async () => {
  removeScreenshots();
  stack = await startStack();
  page = await stack.browser.newPage();
});

afterAll(async () => {
  await stack?.close();
});

async function openChat(maxTokens: number, model = ""): Promise<void> {
  await page.goto(`${stack.playgroundUrl}/chat`);
  await page.getByLabel("Max tokens").fill(String(maxTokens));
  await page.getByLabel("Model or tier").fill(model);
}

async function send(text: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

const lastAnswer = () => page.getByTestId("message-assistant").last();

describe("playground against a real Sluice server on lfm2-tiny", () => {
  it("streams a chat answer into the page token by token, with its figures", async () => {
    await openChat(6);
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
    await page.getByRole("button", { name: "Stop" }).click();
    await page.waitForSelector('[data-testid="message-assistant"][data-status="stopped"]', {
      timeout: 5_000,
    });
    // The server has let go of the request: nothing can stream after this point.
    await expect.poll(() => stack.server.sluice.inFlight, { timeout: 10_000, interval: 50 }).toBe(0);
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
});
