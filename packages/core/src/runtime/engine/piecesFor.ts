import type { GenerateEvent, GenerateOptions } from "./Engine.ts";

/**
 * The events a caller asked for (see {@link GenerateOptions.stream}): all of
 * them, or only the `done` event, which carries the whole text. The pieces
 * are still produced (stop strings are found in them) but not passed on;
 * `onPiece` hears of each.
 */
export async function* piecesFor(
  events: AsyncIterable<GenerateEvent>,
  options: GenerateOptions | undefined,
): AsyncGenerator<GenerateEvent, void, undefined> {
  if (options?.stream !== false) {
    yield* events;
    return;
  }
  for await (const event of events) {
    if (event.type === "done") yield event;
    else options.onPiece?.();
  }
}
