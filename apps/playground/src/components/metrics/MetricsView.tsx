"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { describeError } from "../../lib/errors.ts";
import { parsePrometheus } from "../../lib/prometheus.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { useMetricsSamples } from "../../lib/useMetricsText.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { LineChart, latestOf } from "./LineChart.tsx";
import { derive, type Point, toPoint, WINDOW } from "./snapshot.ts";

const INTERVAL_MS = 2000;
/** The charts' time span: the server keeps six minutes of snapshots. */
const SPAN_MS = 6 * 60_000;

const seconds = (v: number) => (v >= 1 ? `${v.toFixed(2)} s` : `${Math.round(v * 1000)} ms`);
const rate = (v: number) => v.toFixed(v >= 10 ? 0 : v >= 1 ? 1 : 2);
const ratio = (v: number) => `${Math.round(v * 100)}%`;
const count = (v: number) => v.toFixed(0);

export function MetricsView() {
  const trpc = useTRPC();
  const { query, samples } = useMetricsSamples(INTERVAL_MS);
  // The server's recent snapshots, fetched once: a visit starts with the last minutes.
  const past = useQuery({ ...trpc.system.metricsHistory.queryOptions(), retry: false, staleTime: Infinity });
  const [history, setHistory] = useState<Point[]>([]);

  useEffect(() => {
    if (!samples) return;
    setHistory((h) => {
      const at = query.dataUpdatedAt;
      const seeded =
        h.length === 0 && past.data
          ? past.data.snapshots
              .filter((snap) => snap.at < at - INTERVAL_MS / 2)
              .map((snap) => toPoint(parsePrometheus(snap.text), snap.at))
          : h;
      return [...seeded, toPoint(samples, at)].filter((p) => p.at >= at - SPAN_MS);
    });
  }, [samples, query.dataUpdatedAt, past.data]);

  if (query.isError && history.length === 0) return <ErrorNote error={describeError(query.error)} />;
  if (history.length === 0 || past.isPending) return <p role="status">Loading metrics…</p>;

  const derived = history.map((_, i) => derive(history, i));
  const last = derived.at(-1);
  const latest = history.at(-1) as Point;
  const pick = <K extends keyof (typeof derived)[number]>(k: K) => derived.map((d) => d[k] as number | null);
  const times = history.map((p) => p.at);
  const now = latest.at;
  // The card shows what the chart's legend shows: the newest p95 there is.
  const p95 = latestOf(pick("p95"));
  const windowSeconds = (WINDOW * INTERVAL_MS) / 1000;

  return (
    <>
      {query.isError ? <ErrorNote error={describeError(query.error)} title="Metrics refresh failed" /> : null}
      <div className="stats">
        <div className="stat">
          <div className="value" data-testid="stat-requests">
            {count(latest.requests)}
          </div>
          <div className="label">requests served</div>
        </div>
        <div className="stat">
          <div className="value" data-testid="stat-p95">
            {p95 === null ? "–" : seconds(p95)}
          </div>
          <div className="label">p95 latency (newest {windowSeconds} s window with requests)</div>
        </div>
        <div className="stat">
          <div className="value">{count(latest.generatedTokens)}</div>
          <div className="label">tokens generated</div>
        </div>
        <div className="stat">
          <div className="value">{count(latest.queueDepth)}</div>
          <div className="label">queued now</div>
        </div>
        <div className="stat">
          <div className="value">{last?.cacheHitRatio == null ? "–" : ratio(last.cacheHitRatio)}</div>
          <div className="label">cache hit ratio</div>
        </div>
        <div className="stat">
          <div className="value">{count(latest.restarts)}</div>
          <div className="label">runner restarts</div>
        </div>
      </div>
      <div className="charts">
        <LineChart
          testId="chart-latency"
          title="Latency percentiles"
          times={times}
          now={now}
          spanMs={SPAN_MS}
          format={seconds}
          series={[
            { label: "p50", color: "#0b5cad", values: pick("p50") },
            { label: "p95", color: "#c2410c", values: pick("p95") },
            { label: "p99", color: "#7e22ce", values: pick("p99") },
          ]}
        />
        <LineChart
          testId="chart-throughput"
          title="Throughput"
          times={times}
          now={now}
          spanMs={SPAN_MS}
          format={rate}
          series={[
            { label: "requests/s", color: "#0b5cad", values: pick("requestsPerSecond") },
            { label: "tokens/s", color: "#15803d", values: pick("tokensPerSecond") },
          ]}
        />
        <LineChart
          testId="chart-queue"
          title="Queue depth"
          times={times}
          now={now}
          spanMs={SPAN_MS}
          format={count}
          integer
          series={[{ label: "queued", color: "#c2410c", values: pick("queueDepth") }]}
        />
        <LineChart
          testId="chart-cache"
          title="Cache hit ratio"
          times={times}
          now={now}
          spanMs={SPAN_MS}
          format={ratio}
          series={[{ label: "hits", color: "#15803d", values: pick("cacheHitRatio") }]}
        />
        <LineChart
          testId="chart-restarts"
          title="Runner restarts"
          times={times}
          now={now}
          spanMs={SPAN_MS}
          format={count}
          integer
          series={[{ label: "restarts", color: "#b42318", values: pick("restarts") }]}
        />
      </div>
      <p className="muted small">
        From the server's metrics every {INTERVAL_MS / 1000} s; the first minutes come from the server's own
        history (it keeps the last six). Percentiles are over {windowSeconds} s windows of requests.
      </p>
    </>
  );
}
