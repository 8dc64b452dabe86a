"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError } from "../../lib/errors.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { confidenceOf, type SummaryView, type TraceView } from "./types.ts";

const pct = (v: number | undefined) => (v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
const num = (v: number | undefined, digits = 0) => (v === undefined ? "–" : v.toFixed(digits));

function Traces({ traces }: { traces: TraceView[] }) {
  if (traces.length === 0) {
    return (
      <p className="empty" data-testid="traces-empty">
        No routing decisions yet. They appear here when requests go through the cascade (a server configured
        with tiers).
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data cards" data-testid="traces">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Answered by</th>
            <th scope="col">Attempts</th>
            <th scope="col">Skipped tiers</th>
            <th scope="col">Arm</th>
            <th scope="col">Degraded</th>
          </tr>
        </thead>
        <tbody>
          {traces.map((t, i) => (
            <tr key={`${t.at ?? ""}${i}`}>
              <td data-label="When">
                {t.at ? new Date(t.at).toLocaleTimeString() : "–"}
                {t.latencyMs !== undefined ? (
                  <div className="small muted">{Math.round(t.latencyMs)} ms</div>
                ) : null}
              </td>
              <td data-label="Answered by">{t.finalTier ?? <span className="badge broken">failed</span>}</td>
              <td data-label="Attempts">
                {(t.attempts ?? []).map((a, j) => (
                  <div key={`a${j}`}>
                    {a.tier}: {a.outcome} in {Math.round(a.latencyMs)} ms
                    {confidenceOf(a.confidence) !== undefined
                      ? ` (confidence ${num(confidenceOf(a.confidence), 2)}, threshold ${num(a.threshold, 2)})`
                      : ""}
                    {a.error ? <code> {a.error.code}</code> : null}
                  </div>
                ))}
              </td>
              <td data-label="Skipped tiers">
                {(t.considered ?? [])
                  .filter((c) => c.decision === "skipped")
                  .map((c) => `${c.tier} (${c.reason ?? "skipped"})`)
                  .join(", ") || "–"}
              </td>
              <td data-label="Arm">{t.arm ?? "–"}</td>
              <td data-label="Degraded">{t.degraded ? (t.degradedReason ?? "yes") : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Summary({ summary }: { summary: SummaryView | null }) {
  if (!summary) {
    return (
      <p className="empty" data-testid="ab-empty">
        No A/B experiment is running on this server.
      </p>
    );
  }
  return (
    <>
      <p className="muted small">
        Experiment <strong>{summary.experiment}</strong>, control arm {summary.control}, α = {summary.alpha}
      </p>
      <div className="table-wrap">
        <table className="data cards" data-testid="ab-summary">
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Requests</th>
              <th scope="col">Error rate</th>
              <th scope="col">Escalation rate</th>
              <th scope="col">Mean latency</th>
              <th scope="col">Mean confidence</th>
              <th scope="col">Significant</th>
            </tr>
          </thead>
          <tbody>
            {summary.arms.map((a) => (
              <tr key={a.arm}>
                <td data-label="Arm">{a.arm}</td>
                <td data-label="Requests">{a.requests}</td>
                <td data-label="Error rate">{pct(a.errorRate)}</td>
                <td data-label="Escalation rate">{pct(a.escalationRate)}</td>
                <td data-label="Mean latency">{num(a.latencyMeanMs)} ms</td>
                <td data-label="Mean confidence">{num(a.confidenceMean, 3)}</td>
                <td data-label="Significant">{a.significant ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

const SNIPPET = `# config/default.yaml (or the file given with --config / SLUICE_CONFIG)
cascade:
  enabled: true
  tiers:                      # cheapest healthy tier first
    - model: stories260K      # catalog id, path or hf: URI
      cost: 1
      confidenceThreshold: 0.5  # escalate answers less sure than this
    - model: lfm2-350m-q8_0
      cost: 4
      confidenceThreshold: 0`;

/** A default install routes nothing: say how to turn the cascade on instead of showing empty tables. */
function NoCascade() {
  return (
    <section className="panel" data-testid="cascade-howto">
      <h2>No cascade is configured</h2>
      <p>
        Requests for model <code>auto</code> go to the default model. To route them through tiers (a cheap
        model first, a larger one when the answer&apos;s confidence is low), add tiers to the server&apos;s
        config and restart it:
      </p>
      <pre className="snippet">
        <code>{SNIPPET}</code>
      </pre>
      <p className="muted small">
        Routing decisions and A/B results then appear on this page. See <code>docs/configuration.md</code> for
        every cascade field.
      </p>
    </section>
  );
}

export function CascadeView() {
  const trpc = useTRPC();
  const config = useQuery({ ...trpc.system.config.queryOptions(), retry: false });
  const cascade = (config.data as { cascade?: { enabled?: boolean; tiers?: unknown[] } } | undefined)
    ?.cascade;
  if (config.isSuccess && !(cascade?.enabled && (cascade.tiers?.length ?? 0) > 0)) return <NoCascade />;
  return <Routing />;
}

function Routing() {
  const trpc = useTRPC();
  const traces = useQuery({ ...trpc.cascade.traces.queryOptions({ limit: 50 }), refetchInterval: 5000 });
  const summary = useQuery({ ...trpc.cascade.abSummary.queryOptions(), refetchInterval: 10_000 });
  return (
    <>
      <h2>Recent decisions</h2>
      {traces.isPending ? <p role="status">Loading decisions…</p> : null}
      {traces.isError ? <ErrorNote error={describeError(traces.error)} /> : null}
      {traces.data ? <Traces traces={traces.data as TraceView[]} /> : null}
      <h2>A/B summary</h2>
      {summary.isPending ? <p role="status">Loading summary…</p> : null}
      {summary.isError ? <ErrorNote error={describeError(summary.error)} /> : null}
      {summary.isSuccess ? (
        <Summary summary={(summary.data ?? null) as unknown as SummaryView | null} />
      ) : null}
    </>
  );
}
