"use client";

import type { ChatEntry } from "../components/chat/types.ts";

/** One chat kept in the browser. */
export interface Conversation {
  id: string;
  title: string;
  /** Milliseconds since the epoch of the last change. */
  updatedAt: number;
  entries: ChatEntry[];
}

// localStorage: conversations survive reloads and restarts of the browser and
// never leave it. One key holds them all; a few hundred answers fit easily.
const STORAGE_KEY = "sluice.conversations.v1";
/** Oldest conversations are dropped beyond this many, so storage never fills up. */
const MAX_CONVERSATIONS = 50;

/** Conversations newest first; an empty list when storage is off or holds something else. */
export function readConversations(): Conversation[] {
  if (typeof window === "undefined") return [];
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (c): c is Conversation =>
        typeof c === "object" && c !== null && typeof c.id === "string" && Array.isArray(c.entries),
    );
  } catch {
    return [];
  }
}

/** Saves the list, newest first; answers still streaming are kept as stopped (a reload ends them). */
export function writeConversations(all: Conversation[]): void {
  const kept = [...all]
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, MAX_CONVERSATIONS)
    .map((c) => ({
      ...c,
      entries: c.entries.map((e) => (e.status === "streaming" ? { ...e, status: "stopped" as const } : e)),
    }));
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
  } catch {
    // Storage full or disabled (private mode): the chat still works, it just is not kept.
  }
}

/** A title from the first user message, cut at a word near 48 characters. */
export function titleOf(entries: readonly ChatEntry[]): string {
  const first = entries.find((e) => e.role === "user")?.content.trim() ?? "";
  if (first === "") return "New chat";
  const line = first.split("\n")[0] as string;
  if (line.length <= 48) return line;
  const cut = line.slice(0, 48);
  const space = cut.lastIndexOf(" ");
  return `${space > 24 ? cut.slice(0, space) : cut}…`;
}
