/**
 * An AbortSignal that aborts when any source does, with that source's
 * reason. Unlike AbortSignal.any it detaches its listeners on dispose(), so
 * a long-lived source (a client connection, the host's lifetime) does not
 * collect one listener per request.
 */
export function linkSignals(...sources: (AbortSignal | undefined)[]): {
  signal: AbortSignal;
  dispose(): void;
  controller: AbortController;
} {
  const controller = new AbortController();
  const attached: [AbortSignal, () => void][] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    attached.push([source, onAbort]);
  }
  return {
    signal: controller.signal,
    controller,
    dispose: () => {
      for (const [source, onAbort] of attached.splice(0)) source.removeEventListener("abort", onAbort);
    },
  };
}
