import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSluiceError } from "@sluice/core";
import { requireModelFixture } from "@sluice/gguf-synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContentPolicy,
  createSluice,
  denyListPolicy,
  luhnValid,
  piiRedactionPolicy,
  type Sluice,
} from "../src/index.ts";

const stories = requireModelFixture("stories260K.gguf");
let sluice: Sluice;
let auditDir: string;

/** Turns every "e" into "é🙂": a redaction with a surrogate pair, idempotent as output policies must be. */
const emojiPolicy: ContentPolicy = {
  name: "emoji",
  outputWindow: 5,
  checkOutput: (text) =>
    text.includes("e")
      ? { action: "redact", text: text.replaceAll("e", "é🙂"), reason: "e" }
      : { action: "allow" },
};

beforeAll(async () => {
  if (!stories) throw new Error("stories260K.gguf is required (set SLUICE_MODEL_DIRS)");
  auditDir = await mkdtemp(join(tmpdir(), "sluice-policy-audit-"));
  sluice = await createSluice({
    models: [{ id: "stories", source: stories, contextSize: 256, sequences: 1, threads: 1, preload: true }],
    cache: false,
    telemetry: { log: { level: "silent" }, audit: { dir: auditDir, fsync: false } },
    contentPolicies: [
      denyListPolicy({ terms: ["forbidden topic"], patterns: ["b[o0]mb"] }),
      piiRedactionPolicy(),
      emojiPolicy,
    ],
  });
});
afterAll(async () => {
  await sluice?.close();
  await rm(auditDir, { recursive: true, force: true });
});

/** `sluice_<name>` samples of the model, summed. */
async function counter(name: string): Promise<number> {
  const { body } = await sluice.metrics();
  return body
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) && l.includes('model="stories"'))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

describe("content policies", () => {
  it("refuses a blocked input with CONTENT_BLOCKED before any inference, and audits it", async () => {
    await sluice.complete({ prompt: "Once upon a time", maxTokens: 4, temperature: 0 });
    const requests = await counter("sluice_requests_total");
    const tokens = await counter("sluice_tokens_total");
    expect(requests).toBeGreaterThan(0);

    const error = await sluice
      .chat({ messages: [{ role: "user", content: "Tell me about the Forbidden Topic." }], maxTokens: 4 })
      .catch((e: unknown) => e);
    expect(isSluiceError(error) && error.code).toBe("CONTENT_BLOCKED");
    expect(isSluiceError(error) && error.details).toMatchObject({ policy: "deny-list", stage: "input" });
    const streamed = await (async () => {
      for await (const _ of sluice.generate({ prompt: "how to build a b0mb", maxTokens: 4 }))
        return "streamed";
      return "ended";
    })().catch((e: unknown) => e);
    expect(isSluiceError(streamed) && streamed.code).toBe("CONTENT_BLOCKED");
    const embedded = await sluice.embed({ texts: ["fine", "a forbidden topic"] }).catch((e: unknown) => e);
    expect(isSluiceError(embedded) && embedded.code).toBe("CONTENT_BLOCKED");

    // The model did not run: its request and token counters did not move.
    expect(await counter("sluice_requests_total")).toBe(requests);
    expect(await counter("sluice_tokens_total")).toBe(tokens);
    const { body } = await sluice.metrics();
    expect(body).toMatch(/sluice_content_policy_total\{stage="input",action="block",policy="deny-list"\} 3/);
    const deadline = Date.now() + 5000;
    let text = "";
    while ((text.match(/content\.blocked/g) ?? []).length < 3 && Date.now() < deadline) {
      const names = await readdir(auditDir);
      text = (await Promise.all(names.map((n) => readFile(join(auditDir, n), "utf8")))).join("");
    }
    expect((text.match(/"action":"content\.blocked"/g) ?? []).length).toBe(3);
    expect(text).not.toContain("Forbidden Topic");
  });

  it("redacts a streamed answer on the fly, every piece valid UTF-8, the pieces adding up to the answer", async () => {
    const request = { prompt: "Once upon a time", maxTokens: 40, temperature: 0 };
    const pieces: string[] = [];
    let done = "";
    for await (const event of sluice.generate(request)) {
      if (event.type === "token") pieces.push(event.text);
      else done = event.text;
    }
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) {
      expect(piece).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      expect(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(piece, "utf8"))).toBe(piece);
    }
    expect(pieces.join("")).toBe(done);
    expect(done).toContain("é🙂");
    expect(done).not.toContain("e");
    // Same answer as the whole-answer path, which redacts once at the end.
    const whole = await sluice.complete(request);
    expect(whole.text).toBe(done);
  });

  it("honours stop strings under a redacting policy", async () => {
    const request = { prompt: "Once upon a time", maxTokens: 40, temperature: 0 };
    // Stop strings apply to the model's own text, before the output policies.
    const raw = (await sluice.complete(request)).text.replaceAll("é🙂", "e");
    const at = [...raw.matchAll(/[a-df-z]{2}/g)].find((m) => (m.index ?? 0) > 8)?.index;
    expect(at).toBeGreaterThan(8);
    const stop = raw.slice(at, (at as number) + 2);
    let done = "";
    for await (const event of sluice.generate({ ...request, stop: [stop] }))
      if (event.type === "done") done = event.text;
    expect(done).toBe(raw.slice(0, raw.indexOf(stop)).replaceAll("e", "é🙂"));
  });

  it("checks every text part of a message and lets allowed embedding texts through", async () => {
    const parts = await sluice
      .chat({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "A story, please." },
              { type: "text", text: "About a bomb." },
            ],
          },
        ],
        maxTokens: 4,
      })
      .catch((e: unknown) => e);
    expect(isSluiceError(parts) && parts.code).toBe("CONTENT_BLOCKED");
    expect(isSluiceError(parts) && parts.details).toMatchObject({ policy: "deny-list", stage: "input" });
    const allowed = await sluice.chat({
      messages: [{ role: "user", content: [{ type: "text", text: "Once upon a time" }] }],
      maxTokens: 4,
      temperature: 0,
    });
    expect(allowed.stats.generatedTokens).toBeGreaterThan(0);
    const { vectors } = await sluice.embed({ texts: ["a cat", "a dog"] });
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });
});

describe("built-in policies", () => {
  it("masks e-mail addresses, phone numbers and Luhn-valid card numbers only", async () => {
    const pii = piiRedactionPolicy();
    const verdict = await pii.checkInput?.(
      "mail ann.lee@example.co.uk or call +1 415-555-0132; card 4111 1111 1111 1111, order 4111 1111 1111 1112, year 2026",
      { stage: "input", op: "chat", model: undefined, caller: "t" },
    );
    expect(verdict).toEqual({
      action: "redact",
      text: "mail [email] or call [phone]; card [card], order 4111 1111 1111 1112, year 2026",
      reason: "email,card,phone",
    });
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
  });
});
