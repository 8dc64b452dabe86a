// Every Kubernetes object in deploy/k8s validates against the Kubernetes API's
// own OpenAPI schemas (kubernetes-models ships them, so this runs offline), as
// `kubectl apply --dry-run=server` would check them against a cluster.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const k8sDir = join(import.meta.dirname, "..", "k8s");
const objects = readdirSync(k8sDir)
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(k8sDir, file), "utf8")).map((d) => ({
      file,
      object: d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } },
    })),
  );

// biome-ignore lint/suspicious/noExplicitAny: each model takes its own object type; the YAML is checked at run time
type Model = new (data: any) => { validate(): void };
/** The API schema of every kind deploy/k8s uses; a new kind must be added here to be checked. */
const MODELS: Record<string, Model> = {
  "apps/v1 Deployment": Deployment,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "v1 ConfigMap": ConfigMap,
  "v1 PersistentVolumeClaim": PersistentVolumeClaim,
  "v1 Secret": Secret,
  "v1 Service": Service,
};
function modelOf(apiVersion: string, kind: string): Model {
  const model = MODELS[`${apiVersion} ${kind}`];
  if (!model) throw new Error(`no schema registered for ${apiVersion} ${kind}: add it to MODELS`);
  return model;
}

describe("Kubernetes manifests against the API schemas", () => {
  it.each(objects.map((o) => [`${o.file}: ${o.object.kind}/${o.object.metadata.name}`, o.object] as const))(
    "%s is a valid object",
    (_name, object) => {
      const Model = modelOf(object.apiVersion, object.kind);
      expect(() => new Model(object).validate()).not.toThrow();
    },
  );

  it("rejects an object the API would reject (a Deployment without a selector)", () => {
    // biome-ignore lint/suspicious/noExplicitAny: a manifest object, altered below
    const deployment = objects.find((o) => o.object.kind === "Deployment")?.object as Record<string, any>;
    const Model = modelOf("apps/v1", "Deployment");
    const broken = { ...deployment, spec: { ...deployment.spec, selector: undefined, replicas: "two" } };
    expect(() => new Model(broken).validate()).toThrow(/selector|replicas/);
  });
});
