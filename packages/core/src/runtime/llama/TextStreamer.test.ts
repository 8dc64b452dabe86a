import { describe, expect, it } from "vitest";
import { TextStreamer } from "./TextStreamer.ts";

function feed(streamer: TextStreamer, text: string): string[] {
  const pieces: string[] = [];
  for (let i = 1; i <= text.length; i++) {
    const piece = streamer.push(text.slice(0, i));
    if (piece) pieces.push(piece);
    if (streamer.stopped) break;
  }
  const rest = streamer.flush();
  if (rest) pieces.push(rest);
  return pieces;
}

describe("TextStreamer", () => {
  it("streams everything when there are no stop strings", () => {
    expect(feed(new TextStreamer(), "abc").join("")).toBe("abc");
  });

  it("cuts at the first stop string and never emits a part of it, even across pieces", () => {
    const s = new TextStreamer(["END", "\n\n"]);
    const pieces = feed(s, "hello EN world END more");
    expect(pieces.join("")).toBe("hello EN world ");
    expect(s.text).toBe("hello EN world ");
    expect(s.stopped).toBe(true);
    expect(pieces.some((p) => p.includes("E") && p.endsWith("EN") && !p.includes("world"))).toBe(false);
  });

  it("holds back an unfinished UTF-8 character until it completes", () => {
    const s = new TextStreamer();
    expect(s.push("caf\uFFFD")).toBe("caf");
    expect(s.push("café")).toBe("é");
  });

  it("prefers the earliest stop string when several match", () => {
    const s = new TextStreamer(["b", "a"]);
    expect(feed(s, "xxab").join("")).toBe("xx");
  });
});
