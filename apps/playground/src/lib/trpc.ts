"use client";

import type { AppRouter } from "@sluice/api";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { FetchEventSource } from "./FetchEventSource.ts";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type SluiceClient = ReturnType<typeof createSluiceClient>;

/** Per-call context: a correlation id the caller chose, so the page can show it. */
export interface CallContext extends Record<string, unknown> {
  requestId?: string;
}

/**
 * Queries and mutations go batched over HTTP; subscriptions (streamed chat,
 * pull progress) over SSE. `getKey` is read on every call so a key entered
 * later applies at once.
 */
export function createSluiceClient(apiUrl: string, getKey: () => string | null) {
  const url = `${apiUrl}/trpc`;
  const auth = (): Record<string, string> => {
    const key = getKey();
    return key ? { authorization: `Bearer ${key}` } : {};
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource: FetchEventSource,
          eventSourceOptions: ({ op }) => {
            const requestId = (op.context as CallContext).requestId;
            return { headers: { ...auth(), ...(requestId ? { "x-request-id": requestId } : {}) } };
          },
        }),
        false: httpBatchLink({ url, headers: auth }),
      }),
    ],
  });
}

/** A fresh correlation id for one call. */
export function newRequestId(): string {
  return crypto.randomUUID();
}
