import type { Scope, Transport } from './ws-transport.js';

/**
 * A streaming op (`ts.watch`, `pipeline.watch`) as an async iterator: each
 * event the node sends becomes an item (`toItem`); the iterator ends when
 * the op does, throws its failure, and `return()` (a `for await` that
 * breaks) cancels it on the node.
 */
export function eventStream<T>(transport: Transport, op: string, scope: Scope, args: Record<string, unknown>, toItem: (event: string, data: unknown) => T): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: Error | undefined;
  const { id, done } = transport.request(op, scope, args, (event, data) => {
    queue.push(toItem(event, data));
    wake?.();
  });
  done.then(
    () => {
      ended = true;
      wake?.();
    },
    (error: Error) => {
      failure = error;
      ended = true;
      wake?.();
    },
  );
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        if (failure !== undefined) throw failure;
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      if (!ended) transport.cancel(id);
      ended = true;
      return { value: undefined, done: true };
    },
  };
}
