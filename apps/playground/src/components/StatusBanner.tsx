"use client";

import { useQuery } from "@tanstack/react-query";
import { useApiKey } from "../lib/apiKey.ts";
import { describeError } from "../lib/errors.ts";
import { useTRPC } from "../lib/trpc.ts";
import { useApiUrl } from "./Providers.tsx";

/** Server-wide states every page needs to see: unreachable, model loading, synthetic weights. */
export function StatusBanner() {
  const trpc = useTRPC();
  const apiUrl = useApiUrl();
  const key = useApiKey();
  const health = useQuery({ ...trpc.system.health.queryOptions(), refetchInterval: 5000, retry: false });
  const models = useQuery({ ...trpc.models.list.queryOptions(), refetchInterval: 10_000, retry: false });

  if (health.isPending) return <p className="banner info">Connecting to {apiUrl}…</p>;
  if (health.isError) {
    return (
      <p className="banner error" role="alert" data-testid="banner-unreachable">
        Server unreachable at <code>{apiUrl}</code>: {describeError(health.error).message}. Start it with{" "}
        <code>pnpm sluice serve</code>.
      </p>
    );
  }
  const banners = [];
  const loading = health.data.models.filter((m) => m.state === "loading");
  if (loading.length > 0) {
    banners.push(
      <p key="loading" className="banner info" role="status" data-testid="banner-loading">
        Model loading: {loading.map((m) => m.id).join(", ")}. Requests wait until it is ready.
      </p>,
    );
  }
  if (health.data.status === "closing") {
    banners.push(
      <p key="closing" className="banner warn" role="status">
        The server is shutting down.
      </p>,
    );
  }
  const synthetic = models.data?.find((m) => m.isDefault && m.synthetic);
  const real = models.data?.find((m) => m.role === "chat" && !m.synthetic && m.state === "ready");
  if (synthetic) {
    banners.push(
      <p key="synthetic" className="banner warn" role="status" data-testid="banner-synthetic">
        The API default <code>{synthetic.id}</code> has synthetic weights: its output is noise (speed and
        memory figures are real).{" "}
        {real ? (
          <span data-testid="banner-real">
            For real text the chat uses <code>{real.id}</code>, a real trained model.
          </span>
        ) : (
          <>
            For real text, pull a model on the <a href="/models">Models</a> page.
          </>
        )}
      </p>,
    );
  }
  if (models.isError) {
    const e = describeError(models.error);
    if (e.code === "UNAUTHORIZED" || e.code === "FORBIDDEN") {
      banners.push(
        <p key="auth" className="banner warn" role="status">
          {key ? "The saved API key was refused" : "This server needs an API key"} (<code>{e.code}</code>):
          enter one above.
        </p>,
      );
    }
  }
  return banners.length > 0 ? <div className="banners">{banners}</div> : null;
}
