"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, type ShownError } from "../../lib/errors.ts";
import { type Sample, sum } from "../../lib/prometheus.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { useMetricsSamples } from "../../lib/useMetricsText.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { CatalogView } from "./CatalogView.tsx";
import { PullForm, usePull } from "./PullForm.tsx";

const BREAKER = ["closed", "half-open", "open"] as const;

function bytes(v: number | undefined): string {
  if (v === undefined || v <= 0) return "–";
  return v >= 1024 ** 3 ? `${(v / 1024 ** 3).toFixed(2)} GiB` : `${(v / 1024 ** 2).toFixed(1)} MiB`;
}

function memoryOf(samples: Sample[] | undefined, model: string, kind: string): number | undefined {
  if (!samples) return undefined;
  const has = samples.some(
    (s) => s.name === "sluice_model_memory_bytes" && s.labels.model === model && s.labels.kind === kind,
  );
  return has
    ? sum(samples, "sluice_model_memory_bytes", (l) => l.model === model && l.kind === kind)
    : undefined;
}

/** The breaker gauge when the server reports it, else what the model's state implies (broken = open). */
function breakerOf(samples: Sample[] | undefined, model: string, state: string): string {
  const s = samples?.find((x) => x.name === "sluice_breaker_state" && x.labels.model === model);
  if (s) return BREAKER[s.value] ?? "unknown";
  return state === "broken" ? "open" : state === "degraded" ? "half-open" : "closed";
}

function Memory({ estimate, actual }: { estimate: number | undefined; actual: number | undefined }) {
  if (estimate === undefined && actual === undefined)
    return <span className="muted small">not reported</span>;
  return (
    <>
      {bytes(estimate)} / {bytes(actual)}
    </>
  );
}

export function ModelsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const models = useQuery({ ...trpc.models.list.queryOptions(), refetchInterval: 3000 });
  const { samples, query: metrics } = useMetricsSamples(5000);
  const [actionError, setActionError] = useState<ShownError | null>(null);
  const [verified, setVerified] = useState<string | null>(null);
  const pull = usePull();
  const onError = (err: unknown) => setActionError(describeError(err));
  const onSuccess = () => {
    setActionError(null);
    void queryClient.invalidateQueries();
  };
  const load = useMutation(trpc.models.load.mutationOptions({ onError, onSuccess }));
  const unload = useMutation(trpc.models.unload.mutationOptions({ onError, onSuccess }));
  const verify = useMutation(
    trpc.models.verify.mutationOptions({
      onError,
      onSuccess: (_d, v) => {
        setVerified(v.id);
        onSuccess();
      },
    }),
  );
  const busy = load.isPending || unload.isPending || verify.isPending;

  return (
    <>
      {models.isPending ? <p role="status">Loading models…</p> : null}
      {models.isError ? <ErrorNote error={describeError(models.error)} /> : null}
      {models.data?.length === 0 ? <p className="empty">This server serves no models.</p> : null}
      {models.data && models.data.length > 0 ? (
        <div className="table-wrap">
          <table className="data cards" data-testid="models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Memory estimate / actual</th>
                <th scope="col">Breaker</th>
                <th scope="col">Sequences</th>
                <th scope="col">Actions (admin)</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((m) => {
                const breaker = breakerOf(samples, m.id, m.state);
                return (
                  <tr key={m.id} data-testid={`model-${m.id}`}>
                    <td data-label="Model">
                      <strong>{m.id}</strong>
                      <div className="small muted">
                        {m.role}
                        {m.isDefault ? " · default" : ""}
                        {m.synthetic ? " · synthetic weights" : ""} · file {bytes(m.sizeBytes)} · context{" "}
                        {m.contextSize}
                      </div>
                      {m.sha256 ? (
                        <div className="small muted">
                          sha256 <code>{m.sha256.slice(0, 16)}…</code>
                          {verified === m.id ? " · verified just now" : ""}
                        </div>
                      ) : null}
                      {m.lastError ? (
                        <div className="small">
                          last error <code>{m.lastError.code}</code> {m.lastError.message}
                        </div>
                      ) : null}
                    </td>
                    <td data-label="Status">
                      <span className={`badge ${m.state}`} data-testid="model-state">
                        {m.state}
                      </span>
                    </td>
                    <td data-label="Memory estimate / actual">
                      <Memory
                        estimate={memoryOf(samples, m.id, "estimate")}
                        actual={memoryOf(samples, m.id, "rss")}
                      />
                      {metrics.isError ? <div className="small muted">metrics need an admin key</div> : null}
                    </td>
                    <td data-label="Breaker">
                      <span className={`badge ${breaker}`} data-testid="model-breaker">
                        {breaker}
                      </span>
                    </td>
                    <td data-label="Sequences">
                      {m.busySequences}/{m.sequences} busy · {m.queued} queued
                    </td>
                    <td data-label="Actions">
                      <div className="actions">
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy || m.state === "ready" || m.state === "loading"}
                          aria-label={`Load ${m.id}`}
                          onClick={() => load.mutate({ id: m.id })}
                        >
                          Load
                        </button>
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy || m.state === "unloaded"}
                          aria-label={`Unload ${m.id}`}
                          onClick={() => unload.mutate({ id: m.id })}
                        >
                          Unload
                        </button>
                        <button
                          type="button"
                          className="secondary"
                          disabled={busy}
                          aria-label={`Verify ${m.id}`}
                          onClick={() => verify.mutate({ id: m.id })}
                        >
                          {verify.isPending && verify.variables?.id === m.id ? "Verifying…" : "Verify"}
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {actionError ? <ErrorNote error={actionError} title="Model action failed" /> : null}
      <h2>Catalog</h2>
      <p className="muted small">
        Every model Sluice knows: loaded, on disk, or pullable from Hugging Face. Sizes marked ~ are the
        catalog&apos;s; &quot;fits&quot; compares what a load needs with the server&apos;s memory budget.
      </p>
      <CatalogView pull={pull} />
      <h2>Pull a model</h2>
      <PullForm pull={pull} />
    </>
  );
}
