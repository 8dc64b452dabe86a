import { collectDefaultMetrics, Registry } from "prom-client";

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions {
  /** Collect Node process metrics (CPU, memory, event loop lag, GC). Defaults to `true`. */
  defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ instance: "a" }`. Defaults to none. */
  defaultLabels?: Record<string, string>;
}

/** A fresh registry per Sluice instance, so tests and embedded users never share global state. */
export function createRegistry(options: CreateRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** A `/metrics` response body and its content type. */
export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/** Renders `registry` in the Prometheus text format, for the `/metrics` route. */
export async function renderMetrics(registry: Registry): Promise<RenderedMetrics> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
