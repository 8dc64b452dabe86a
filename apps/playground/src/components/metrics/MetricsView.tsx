"use client";

import { useEffect, useState } from "react";
import { describeError } from "../../lib/errors.ts";
import { useMetricsSamples } from "../../lib/useMetricsText.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { LineChart } from "./LineChart.tsx";
import { derive, type Point, toPoint } from "./snapshot.ts";

const INTERVAL_MS = 2000;
const CAPACITY = 60;

const seconds = (v: number) => (v >= 1 ? `${v.toFixed(2)} s` : `${Math.round(v * 1000)} ms`);
const rate = (v: number) => v.toFixed(v >= 10 ? 0 : v >= 1 ? 1 : 2);
const ratio = (v: number) => `${Math.round(v * 100)}%`;
const count = (v: number) => v.toFixed(0);

export function MetricsView() {
  const { query, samples } = useMetricsSamples(INTERVAL_MS);
  const [history, setHistory] = useState<Point[]>([]);

  useEffect(() => {
    if (!samples) return;
    setHistory((h) => [...h, toPoint(samples, query.dataUpdatedAt)].slice(-CAPACITY));
  }, [samples, query.dataUpdatedAt]);

  if (query.isError && history.length === 0) return <ErrorNote error={describeError(query.error)} />;
  if (history.length === 0) return <p role="status">Loading metrics…</p>;

  const derived = history.map((_, i) => derive(history, i));
  const last = derived.at(-1);
  const latest = history.at(-1) as Point;
  const pick = <K extends keyof (typeof derived)[number]>(k: K) => derived.map((d) => d[k] as number | null);

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
          <div className="value">{last?.p95 === null || !last ? "–" : seconds(last.p95)}</div>
          <div className="label">p95 latency (last {(INTERVAL_MS * 15) / 1000} s)</div>
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
          capacity={CAPACITY}
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
          capacity={CAPACITY}
          format={rate}
          series={[
            { label: "requests/s", color: "#0b5cad", values: pick("requestsPerSecond") },
            { label: "tokens/s", color: "#15803d", values: pick("tokensPerSecond") },
          ]}
        />
        <LineChart
          testId="chart-queue"
          title="Queue depth"
          capacity={CAPACITY}
          format={count}
          integer
          series={[{ label: "queued", color: "#c2410c", values: pick("queueDepth") }]}
        />
        <LineChart
          testId="chart-cache"
          title="Cache hit ratio"
          capacity={CAPACITY}
          format={ratio}
          series={[{ label: "hits", color: "#15803d", values: pick("cacheHitRatio") }]}
        />
        <LineChart
          testId="chart-restarts"
          title="Runner restarts"
          capacity={CAPACITY}
          format={count}
          integer
          series={[{ label: "restarts", color: "#b42318", values: pick("restarts") }]}
        />
      </div>
      <p className="muted small">
        From the server's metrics snapshot every {INTERVAL_MS / 1000} s; percentiles are over the last{" "}
        {(INTERVAL_MS * 15) / 1000} s of requests. The history lives in this page only.
      </p>
    </>
  );
}
