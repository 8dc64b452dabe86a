"use client";

import { useSyncExternalStore } from "react";

// The key lives in sessionStorage: it survives reloads of this tab and is
// gone when the tab closes, and it never leaves the browser except as a header.
const STORAGE_KEY = "sluice.apiKey";
const listeners = new Set<() => void>();

export function readApiKey(): string | null {
  if (typeof window === "undefined") return null;
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function writeApiKey(key: string | null): void {
  try {
    if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the key then lasts only for this page.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The stored key; re-renders when it changes. */
export function useApiKey(): string | null {
  return useSyncExternalStore(subscribe, readApiKey, () => null);
}
