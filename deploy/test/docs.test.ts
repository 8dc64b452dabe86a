import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describeConfig } from "@sluice/config";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
// docs/ and the server are not dependencies of this package; their files are read by path.
import { CONFIG_REFERENCE_PATH, renderConfigReference } from "../../docs/scripts/gen-config-reference.ts";
import { errorBody } from "../../packages/api/src/errors.ts";
import { ErrorCode, QueueFullError } from "../../packages/core/src/errors/index.ts";

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const docs = join(root, "docs");
const read = (path: string) => readFileSync(join(root, path), "utf8");

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; enum?: string[] }> };
};
const openapiText = read("docs/openapi.yaml");
const openapi = parse(openapiText) as OpenApi;

/** Heading anchors as GitHub renders them: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading?.[1]) continue;
    anchors.add(
      heading[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  }
  return anchors;
}

/** String literals naming routes in a server source file. */
function routeLiterals(source: string, prefix: string): string[] {
  // A literal ending in "/" is a prefix route with one path parameter (`/v1/models/` → `/v1/models/{id}`).
  return [...source.matchAll(new RegExp(`"(${prefix}[a-z/]*)"`, "g"))].map((m) => {
    const literal = m[1] as string;
    return literal.endsWith("/") ? `${literal}{id}` : literal;
  });
}

describe("OpenAPI document", () => {
  it("validates as an OpenAPI 3.1 document", async () => {
    expect(openapi.openapi).toMatch(/^3\.1\./);
    const result = await validate(join(docs, "openapi.yaml"));
    expect(result.valid ? "" : compileErrors(result)).toBe("");
  });

  it("is rejected by the validator when a reference dangles or info is missing", async () => {
    const dangling = parse(openapiText) as OpenApi;
    const post = dangling.paths["/v1/embeddings"]?.post as {
      requestBody: { content: Record<string, unknown> };
    };
    post.requestBody.content["application/json"] = { schema: { $ref: "#/components/schemas/Nowhere" } };
    expect((await validate(dangling as never)).valid).toBe(false);
    const noInfo = parse(openapiText) as OpenApi & { info?: unknown };
    delete noInfo.info;
    expect((await validate(noInfo as never)).valid).toBe(false);
  });

  it("documents every /v1 route the server registers, and no other", () => {
    const registered = new Set(routeLiterals(read("apps/server/src/http/openaiRoutes.ts"), "/v1/"));
    const documented = Object.keys(openapi.paths).filter((p) => p.startsWith("/v1/"));
    expect(registered.size).toBeGreaterThanOrEqual(4);
    expect(new Set(documented)).toEqual(registered);
  });

  it("documents the probes and metrics routes the server answers", () => {
    const server = read("apps/server/src/http/SluiceHttpServer.ts");
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      expect(server).toContain(`"${path}"`);
      expect(openapi.paths[path]?.get, path).toBeDefined();
    }
  });

  it("describes the error body the server sends, with every stable error code", () => {
    const body = errorBody(new QueueFullError("full", { details: { retryAfterSeconds: 2 } }), "req-1");
    const schema = openapi.components.schemas.ErrorBody?.properties?.error as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(body.error).sort()).toEqual(Object.keys(schema.properties).sort());
    for (const field of schema.required) expect(body.error).toHaveProperty(field);
    expect(body.error.requestId).toBe("req-1");
    const codes = openapi.components.schemas.ErrorCode?.enum ?? [];
    for (const code of Object.values(ErrorCode)) expect(codes).toContain(code);
  });
});

describe("configuration reference", () => {
  const reference = readFileSync(CONFIG_REFERENCE_PATH, "utf8");

  it("names every field of the config schema", () => {
    const fields = describeConfig();
    expect(fields.length).toBeGreaterThan(50);
    const missing = fields.filter((f) => !reference.includes(`| \`${f.path}\` `)).map((f) => f.path);
    expect(missing).toEqual([]);
  });

  it("is what the generator writes today", () => {
    expect(renderConfigReference()).toBe(reference);
  });
});

describe("runbooks", () => {
  const runbooks = read("docs/runbooks.md");
  const anchors = anchorsOf(runbooks);

  it("has a section for every alert rule's runbook_url", () => {
    const alerts = parse(read("deploy/prometheus/alerts.yml")) as {
      groups: { rules: { alert: string; annotations: { runbook_url?: string } }[] }[];
    };
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const url = rule.annotations.runbook_url;
      expect(url, rule.alert).toMatch(/^docs\/runbooks\.md#[a-z0-9-]+$/);
      expect(anchors, `${rule.alert} → ${url}`).toContain(url?.split("#")[1]);
    }
  });

  it("covers the failures operators meet besides the alerts", () => {
    for (const anchor of [
      "model-corrupt-or-quarantined",
      "runner-restarts",
      "breaker-open",
      "queue-saturation",
      "memory-budget-near-full",
      "redis-down",
      "latency-over-target",
    ])
      expect(anchors).toContain(anchor);
  });

  it("names only metrics that Sluice exports", () => {
    const source = read("packages/telemetry/src/metrics/SluiceMetrics.ts");
    const exported = new Set([...source.matchAll(/name: "(sluice_[a-z_]+)"/g)].map((m) => m[1]));
    const named = new Set([...runbooks.matchAll(/\bsluice_[a-z_]+/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(5);
    const unknown = [...named].filter((n) => !exported.has(n.replace(/_(bucket|count|sum)$/, "")));
    expect(unknown).toEqual([]);
  });

  it("names only error codes that Sluice defines", () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    const named = [...runbooks.matchAll(/`([A-Z][A-Z_]{3,})`/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((c) => !codes.has(c) && !c.startsWith("SLUICE_"))).toEqual([]);
  });
});

describe("links between the docs", () => {
  it("point at files and headings that exist", () => {
    const broken: string[] = [];
    const files = readdirSync(docs).filter((f) => f.endsWith(".md"));
    for (const file of files) {
      const text = readFileSync(join(docs, file), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split("#");
        const linked = path ? resolve(dirname(join(docs, file)), path) : join(docs, file);
        let content: string;
        try {
          content = readFileSync(linked, "utf8");
        } catch {
          broken.push(`${file}: ${target} (no file)`);
          continue;
        }
        if (anchor && linked.endsWith(".md") && !anchorsOf(content).has(anchor))
          broken.push(`${file}: ${target} (no heading)`);
      }
    }
    expect(files.length).toBeGreaterThan(1);
    expect(broken).toEqual([]);
  });
});
