import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@sluice/config";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";

type Doc = Record<string, any>;
const k8sDir = join(import.meta.dirname, "..", "k8s");
const docs: Doc[] = readdirSync(k8sDir)
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(k8sDir, f), "utf8")).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0]!.message}`);
      return d.toJS() as Doc;
    }),
  );
const find = (kind: string, name: string) => {
  const doc = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  if (!doc) throw new Error(`no ${kind}/${name} in deploy/k8s`);
  return doc;
};
const deployment = find("Deployment", "sluice");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const config = parseYaml(find("ConfigMap", "sluice-config").data["config.yaml"]) as Doc;

function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G)?$/.exec(quantity);
  if (!m) throw new Error(`bad quantity ${quantity}`);
  const unit =
    { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

describe("Kubernetes manifests", () => {
  it("list every file in the kustomization and parse as Kubernetes objects", () => {
    const listed = (parseYaml(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")) as Doc).resources;
    const files = readdirSync(k8sDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...listed].sort()).toEqual(files.sort());
    for (const d of docs) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toMatch(/^([a-z0-9.-]+\/)?v\d+(beta\d+|alpha\d+)?$/);
      expect(d.kind).toMatch(/^[A-Z]/);
      expect(d.metadata.name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it("probe liveness on /healthz, readiness on /readyz, and give start-up time for a model load", () => {
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    const startup = container.startupProbe;
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(180);
  });

  it("grant a termination grace period longer than the drain deadline", () => {
    const drainSeconds = config.server.shutdownGraceMs / 1000;
    expect(drainSeconds).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds + 5);
  });

  it("derive memory from the runtime's memory budget", () => {
    const budget = Number(config.runtime.memoryBudgetBytes);
    const request = bytes(container.resources.requests.memory);
    const limit = bytes(container.resources.limits.memory);
    expect(request).toBeGreaterThan(budget);
    expect(limit).toBeGreaterThanOrEqual(request);
    // No more than 1 GiB of headroom: a larger gap wastes nodes, a smaller one OOM-kills the host.
    expect(limit - budget).toBeLessThanOrEqual(2 ** 30);
  });

  it("autoscale on queue depth through the custom metrics API with CPU as fallback", () => {
    const hpa = find("HorizontalPodAutoscaler", "sluice");
    expect(hpa.spec.scaleTargetRef.name).toBe("sluice");
    const pods = hpa.spec.metrics.find((m: Doc) => m.type === "Pods");
    expect(pods.pods.metric.name).toBe("sluice_queue_depth");
    expect(hpa.spec.metrics.find((m: Doc) => m.type === "Resource").resource.name).toBe("cpu");
    const adapter = find("ConfigMap", "sluice-prometheus-adapter-rules");
    expect(adapter.data["config.yaml"]).toContain("sluice_queue_depth");
  });

  it("select the server pods from the Service and the disruption budget", () => {
    const labels = deployment.spec.template.metadata.labels;
    for (const selector of [
      find("Service", "sluice").spec.selector,
      find("PodDisruptionBudget", "sluice").spec.selector.matchLabels,
    ]) {
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    }
    expect(find("PodDisruptionBudget", "sluice").spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  it("take API keys and the cache key from the Secret and mount config from the ConfigMap", () => {
    const secret = find("Secret", "sluice-secrets");
    const refs = container.env.filter((e: Doc) => e.valueFrom?.secretKeyRef);
    expect(refs.map((e: Doc) => e.name).sort()).toEqual([
      "SLUICE_API_KEYS",
      "SLUICE_CACHE__PERSISTENT__KEYS",
    ]);
    for (const e of refs) expect(secret.stringData).toHaveProperty(e.valueFrom.secretKeyRef.key);
    const configVolume = pod.volumes.find((v: Doc) => v.configMap);
    expect(configVolume.configMap.name).toBe("sluice-config");
    expect(container.env.find((e: Doc) => e.name === "SLUICE_CONFIG").value).toMatch(/^\/etc\/sluice\//);
  });

  it("carry a config that @sluice/config accepts, with the Secret's values in the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-k8s-"));
    try {
      const file = join(dir, "config.yaml");
      writeFileSync(file, find("ConfigMap", "sluice-config").data["config.yaml"]);
      const secret = find("Secret", "sluice-secrets").stringData;
      const key = Buffer.alloc(32, 7).toString("base64");
      const env = {
        SLUICE_CACHE__PERSISTENT__KEYS: secret.SLUICE_CACHE__PERSISTENT__KEYS.replace(/CHANGE-ME[\w-]*/, key),
      };
      const loaded = loadConfig({ configFile: file, env });
      expect(loaded.config.server.shutdownGraceMs).toBe(config.server.shutdownGraceMs);
      expect(loaded.config.runtime.memoryBudgetBytes).toBe(config.runtime.memoryBudgetBytes);
      expect(loaded.config.cache.persistent.keys).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("point the shared cache at the Redis Service of the manifests", () => {
    const redis = find("Service", "sluice-redis");
    expect(config.cache.redis.url).toBe(`redis://${redis.metadata.name}:${redis.spec.ports[0].port}`);
    expect(find("Deployment", "sluice-redis").spec.template.spec.containers[0].image).not.toMatch(/:latest$/);
  });

  it("run as a non-root user without privilege escalation", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
  });
});
