import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUrlAllowed, createHostPolicy, parseModelRef } from "../../src/models/index.ts";
import { buildGguf, LFM2_TINY, lfm2Spec } from "./fixtures/ggufFixture.ts";
import { type ModelServer, startModelServer } from "./fixtures/modelServer.ts";
import { cleanup, storeFor, tempDir } from "./fixtures/storeHarness.ts";

describe("hostile model references", () => {
  let server: ModelServer;
  let outside: ModelServer;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startModelServer();
    outside = await startModelServer();
    outside.files.set("/m.gguf", buildGguf(lfm2Spec(LFM2_TINY)));
  });
  afterAll(async () => {
    await Promise.all([server.close(), outside.close()]);
    await cleanup(dirs);
  });

  it("refuses each with INVALID_INPUT before any request is made", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    // The local server is allowlisted for plain http; nothing below may reach it or any other host.
    const store = storeFor(dir, server, []);
    const hostile = [
      `http://huggingface.co/LiquidAI/LFM2-350M-GGUF/resolve/main/LFM2-350M-Q8_0.gguf`,
      `http://127.0.0.1:${outside.port}/m.gguf`,
      "file:///etc/passwd",
      "file:///tmp/model.gguf",
      "ftp://huggingface.co/m.gguf",
      "data:application/octet-stream;base64,R0dVRg==",
      "https://user:pass@huggingface.co/o/r/resolve/main/m.gguf",
      `http://user:pass@${server.host}/m.gguf`,
      `http://token@${server.host}/m.gguf`,
      "https://evil.example.com/m.gguf",
      "https://huggingface.co.evil.example.com/m.gguf",
      "https://huggingface.co:8443/o/r/resolve/main/m.gguf",
      "https://127.0.0.1/m.gguf",
      "../../etc/passwd",
      "../models/m.gguf",
      "..",
      "models/m.gguf",
      "lfm2/../../x",
      "a\\b",
      " lfm2-350m-q8_0",
      "",
      "hf:../r/m.gguf",
      "hf:o/r/../../m.gguf",
      "hf:o/r/m.bin",
      "hf:o/r",
      "hf:o/r/m-00001-of-00003.gguf",
    ];
    for (const ref of hostile) {
      await expect(store.resolve(ref), ref).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(store.pull(ref), ref).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
    expect(server.requests).toEqual([]);
    expect(outside.requests).toEqual([]);
  });

  it("refuses a redirect to a host outside the list without requesting it", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    server.redirects.set("/m.gguf", outside.url("/m.gguf"));
    server.redirects.set("/creds.gguf", `http://user:pw@${server.host}/m.gguf`);
    const store = storeFor(dir, server, [
      { id: "redirected", uri: server.url("/m.gguf") },
      { id: "creds", uri: server.url("/creds.gguf") },
    ]);
    await expect(store.resolve("redirected")).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("redirect target"),
    });
    await expect(store.resolve("creds")).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(outside.requests).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(["/m.gguf", "/creds.gguf"]);
  });

  it("checks a redirect of the download itself, after a probe that was answered", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    server.files.set("/late.gguf", buildGguf(lfm2Spec(LFM2_TINY)));
    server.wholeFileRedirects.set("/late.gguf", outside.url("/m.gguf"));
    const before = outside.requests.length;
    const store = storeFor(dir, server, [{ id: "late", uri: server.url("/late.gguf") }]);
    await expect(store.resolve("late")).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("redirect target"),
    });
    expect(outside.requests.length).toBe(before);
    expect(server.requests.filter((r) => r.path === "/late.gguf").map((r) => r.range)).toEqual([
      "bytes=0-0",
      undefined,
    ]);
    // Nothing is left behind: no temp file, no model file.
    expect(await readdir(dir, { recursive: true })).not.toContainEqual(
      expect.stringMatching(/late|sluice-tmp/),
    );
  });

  it("matches allowlist wildcards on subdomains only and validates the list itself", () => {
    const policy = createHostPolicy();
    expect(checkUrlAllowed("https://cas-bridge.xethub.hf.co/x", policy).host).toBe("cas-bridge.xethub.hf.co");
    expect(checkUrlAllowed("https://cdn-lfs-us-1.huggingface.co/x", policy).host).toBe(
      "cdn-lfs-us-1.huggingface.co",
    );
    expect(() => checkUrlAllowed("https://nothf.co/x", policy)).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => createHostPolicy(["https://huggingface.co"])).toThrow(RangeError);
    expect(() => createHostPolicy([], ["*.local:80"])).toThrow(RangeError);
  });

  it("maps hf: URIs to Hugging Face resolve URLs", () => {
    const ref = parseModelRef("hf:LiquidAI/LFM2-350M-GGUF/LFM2-350M-Q8_0.gguf");
    expect(ref.kind === "uri" && ref.url.href).toBe(
      "https://huggingface.co/LiquidAI/LFM2-350M-GGUF/resolve/main/LFM2-350M-Q8_0.gguf",
    );
    const nested = parseModelRef("hf:ggml-org/models/tinyllamas/stories260K.gguf#abc123");
    expect(nested.kind === "uri" && nested.url.href).toBe(
      "https://huggingface.co/ggml-org/models/resolve/abc123/tinyllamas/stories260K.gguf",
    );
  });
});
