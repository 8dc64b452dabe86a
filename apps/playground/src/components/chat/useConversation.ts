"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import {
  type Conversation,
  readConversations,
  titleOf,
  writeConversations,
} from "../../lib/conversations.ts";
import { newRequestId } from "../../lib/trpc.ts";
import type { ChatEntry } from "./types.ts";

/** While an answer streams, the browser copy is refreshed at most this often. */
const SAVE_EVERY_MS = 1000;

/**
 * The open conversation and the list kept in localStorage. The most recent
 * one reopens after a reload; a streaming answer is saved as it grows (as
 * stopped, since a reload ends it).
 */
export function useConversation() {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [currentId, setCurrentId] = useState<string>("");
  const [entries, setEntries] = useState<ChatEntry[]>([]);
  const [hydrated, setHydrated] = useState(false);
  const lastSave = useRef(0);

  useEffect(() => {
    const all = readConversations();
    setConversations(all);
    const latest = all[0];
    setCurrentId(latest?.id ?? newRequestId());
    setEntries(latest?.entries ?? []);
    setHydrated(true);
  }, []);

  useEffect(() => {
    if (!hydrated || entries.length === 0) return;
    const save = () => {
      lastSave.current = Date.now();
      setConversations((all) => {
        const next = [
          { id: currentId, title: titleOf(entries), updatedAt: lastSave.current, entries },
          ...all.filter((c) => c.id !== currentId),
        ];
        writeConversations(next);
        return next;
      });
    };
    // A streaming answer changes with every token: save at most once a
    // second, and always the last state (the timer is the trailing save).
    // A finished state is saved at once: a reload right after an answer ends
    // must find the whole answer, not the last throttled snapshot of it.
    const streaming = entries.some((e) => e.status === "streaming");
    const wait = streaming ? SAVE_EVERY_MS - (Date.now() - lastSave.current) : 0;
    if (wait <= 0) {
      save();
      return;
    }
    const timer = setTimeout(save, wait);
    return () => clearTimeout(timer);
  }, [entries, currentId, hydrated]);

  const select = useCallback(
    (id: string) => {
      const found = conversations.find((c) => c.id === id);
      if (!found) return;
      setCurrentId(found.id);
      setEntries(found.entries.map((e) => (e.status === "streaming" ? { ...e, status: "stopped" } : e)));
    },
    [conversations],
  );

  const startNew = useCallback(() => {
    setCurrentId(newRequestId());
    setEntries([]);
  }, []);

  const remove = useCallback(
    (id: string) => {
      const rest = conversations.filter((c) => c.id !== id);
      writeConversations(rest);
      setConversations(rest);
      if (id === currentId) {
        setCurrentId(newRequestId());
        setEntries([]);
      }
    },
    [conversations, currentId],
  );

  return { conversations, currentId, entries, setEntries, select, startNew, remove, hydrated };
}
