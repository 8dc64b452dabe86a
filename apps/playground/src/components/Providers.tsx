"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useState } from "react";
import { readApiKey } from "../lib/apiKey.ts";
import { createSluiceClient, TRPCProvider } from "../lib/trpc.ts";

const ApiUrlContext = createContext("");

/** Base URL of the Sluice API this page talks to. */
export function useApiUrl(): string {
  return useContext(ApiUrlContext);
}

export function Providers({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 1000 },
          mutations: { retry: false },
        },
      }),
  );
  const [trpcClient] = useState(() => createSluiceClient(apiUrl, readApiKey));
  return (
    <ApiUrlContext.Provider value={apiUrl}>
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </ApiUrlContext.Provider>
  );
}
