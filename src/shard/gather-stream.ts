/**
 * A gather's answers as an async iterator, in the order they arrive: how
 * ShardGroup.scatterGatherStream hands out each shard's answer before the
 * slowest one is in.
 */

/**
 * Yields the `expected` results that `start` reports through its
 * `onResult`, as each arrives; ends early if the gather finishes with
 * fewer, and rejects as the gather does (an abort).
 */
export async function* arrivals<T>(expected: number, start: (onResult: (result: T) => void) => Promise<unknown>): AsyncIterableIterator<T> {
  const arrived: T[] = [];
  let wake: (() => void) | undefined;
  const done = start((result) => {
    arrived.push(result);
    wake?.();
  });
  let finished = false;
  void done.then(
    () => {
      finished = true;
      wake?.();
    },
    () => {
      finished = true;
      wake?.();
    },
  );
  let yielded = 0;
  while (yielded < expected) {
    if (arrived.length > yielded) {
      yield arrived[yielded++];
      continue;
    }
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  await done; // surface an abort
}
