/**
 * Waits for the first item of a stream before the transport commits to a
 * streaming response, so failures that happen before any output (unknown
 * model, full queue, bad parameters) still get their proper HTTP status.
 * The returned iterable replays that first item, then the rest.
 */
export async function primeStream<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  let replayed = false;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (!replayed) {
          replayed = true;
          return Promise.resolve(first);
        }
        return iterator.next();
      },
      return: async (value?: unknown) => {
        await iterator.return?.(value as never);
        return { done: true, value: undefined as never };
      },
    }),
  };
}
