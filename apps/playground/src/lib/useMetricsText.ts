"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { parsePrometheus, type Sample } from "./prometheus.ts";
import { useTRPC } from "./trpc.ts";

/** The server's metrics snapshot, parsed, refreshed every `intervalMs`. */
export function useMetricsSamples(intervalMs: number) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.system.metrics.queryOptions(),
    refetchInterval: intervalMs,
    retry: false,
    staleTime: 0,
  });
  const samples: Sample[] | undefined = useMemo(
    () => (query.data === undefined ? undefined : parsePrometheus(query.data)),
    [query.data],
  );
  return { query, samples };
}
