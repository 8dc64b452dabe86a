import type { Sluice } from "@sluice/sdk";

/** Permissions an API key grants. `admin` implies nothing else; give keys both when needed. */
export type Scope = "infer" | "admin";

/** Who is calling, as the transport authenticated them. */
export interface Principal {
  /** Stable key id (never the key itself); `"local"` when auth is off. */
  id: string;
  scopes: readonly Scope[];
}

/** A cascade's read-only view for the API (decision traces, A/B summary). */
export interface CascadeView {
  /** Most recent decision traces, newest first. */
  traces(limit: number): unknown[];
  /** Per-arm statistics of the running experiment, or `null` without one. */
  abSummary(): unknown;
}

/** One metrics snapshot the host kept: when, and the Prometheus text of the families the playground charts. */
export interface MetricsSnapshot {
  /** Milliseconds since the epoch. */
  at: number;
  text: string;
}

/** What the router needs from its host; passed once to {@link createContextFactory}. */
export interface ApiDeps {
  sluice: Sluice;
  cascade?: CascadeView;
  /** The host's recent metrics snapshots, oldest first. Defaults to none (an empty history). */
  metricsHistory?: () => { intervalMs: number; snapshots: MetricsSnapshot[] };
}

/** Per-request inputs the transport supplies. */
export interface RequestInfo {
  principal: Principal | null;
  requestId: string;
}

export interface ApiContext extends ApiDeps, RequestInfo {}

/**
 * Binds the router's dependencies once; the transport calls the returned
 * function per request with the authenticated principal and correlation id.
 */
export function createContextFactory(deps: ApiDeps): (info: RequestInfo) => ApiContext {
  return (info) => ({ ...deps, ...info });
}
