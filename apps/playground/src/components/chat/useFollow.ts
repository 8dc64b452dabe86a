"use client";

import { type RefObject, useEffect, useLayoutEffect, useRef } from "react";

/** How close to the bottom (px) still counts as reading the end of the stream. */
const NEAR_BOTTOM_PX = 160;

/**
 * Keeps the end of the conversation in view while an answer streams, unless
 * the reader scrolled up to read something earlier; scrolling back down
 * resumes following.
 */
export function useFollow(end: RefObject<HTMLElement | null>, content: unknown, streaming: boolean): void {
  const following = useRef(true);

  useEffect(() => {
    const onScroll = () => {
      const root = document.scrollingElement ?? document.documentElement;
      following.current = root.scrollHeight - root.scrollTop - window.innerHeight < NEAR_BOTTOM_PX;
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);

  // A new answer starts: follow it.
  useEffect(() => {
    if (streaming) following.current = true;
  }, [streaming]);

  // Runs on every content change (each streamed token), which is the point.
  useLayoutEffect(() => {
    if (streaming && following.current) end.current?.scrollIntoView({ block: "end" });
  }, [content, streaming, end]);
}
