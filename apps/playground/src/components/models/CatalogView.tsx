"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, type ShownError } from "../../lib/errors.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import type { Pull } from "./PullForm.tsx";

function size(v: number | undefined): string {
  if (v === undefined) return "?";
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(2)} GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  return `${(v / 1024).toFixed(0)} KiB`;
}

/**
 * The model picker: every catalog model with where it stands (loaded, on
 * disk, pullable), its size, quantization and whether it fits the server's
 * memory budget; admins pull or load any of them at run time.
 */
export function CatalogView({ pull }: { pull: Pull }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const catalog = useQuery({ ...trpc.models.catalog.queryOptions(), refetchInterval: 5000 });
  const [error, setError] = useState<ShownError | null>(null);
  const load = useMutation(
    trpc.models.load.mutationOptions({
      onError: (err) => setError(describeError(err)),
      onSuccess: () => {
        setError(null);
        void queryClient.invalidateQueries();
      },
    }),
  );
  const pulling = pull.state === "running";

  if (catalog.isPending) return <p role="status">Loading the catalog…</p>;
  if (catalog.isError) return <ErrorNote error={describeError(catalog.error)} />;
  const rows = catalog.data.filter((m) => m.role === "chat" || m.role === "embed" || m.role === "vision");
  return (
    <>
      <div className="table-wrap">
        <table className="data cards" data-testid="catalog">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Where</th>
              <th scope="col">Size · quantization</th>
              <th scope="col">Fits in memory</th>
              <th scope="col">Actions (admin)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const where =
                m.state === "ready" || m.state === "loading" || m.state === "degraded"
                  ? m.state === "ready"
                    ? "loaded"
                    : m.state
                  : m.present
                    ? "on disk"
                    : "pullable";
              return (
                <tr key={m.id} data-testid={`catalog-${m.id}`} data-where={where}>
                  <td data-label="Model">
                    <strong>{m.id}</strong>
                    <div className="small muted">
                      {m.role} · {m.architecture ?? "?"} · {m.parameters ?? "?"} parameters
                      {m.license ? ` · ${m.license}` : ""}
                    </div>
                  </td>
                  <td data-label="Where">
                    <span className={`badge where-${where.replace(" ", "-")}`} data-testid="catalog-where">
                      {where}
                    </span>
                  </td>
                  <td data-label="Size · quantization">
                    {m.present ? "" : "~"}
                    {size(m.sizeBytes)} · {m.quantization ?? "?"}
                  </td>
                  <td data-label="Fits in memory" data-testid="catalog-fits">
                    {m.fits === undefined ? "?" : m.fits ? "yes" : "no"}
                    {m.needBytes !== undefined ? (
                      <span className="small muted"> (needs {size(m.needBytes)})</span>
                    ) : null}
                  </td>
                  <td data-label="Actions">
                    <div className="actions">
                      {m.present ? null : (
                        <button
                          type="button"
                          className="secondary"
                          disabled={pulling}
                          aria-label={`Pull ${m.id}`}
                          onClick={() => pull.start(m.id)}
                        >
                          Pull
                        </button>
                      )}
                      {m.state === "ready" ? null : (
                        <button
                          type="button"
                          className="secondary"
                          disabled={load.isPending || !m.present || m.role === "vision"}
                          aria-label={`Load ${m.id} from the catalog`}
                          onClick={() => load.mutate({ id: m.id })}
                        >
                          {load.isPending && load.variables?.id === m.id ? "Loading…" : "Load"}
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {error ? <ErrorNote error={error} title="Load failed" /> : null}
    </>
  );
}
