import { AbortError } from '../errors.js';

/** One parked caller: `wake` settles it with a value, `fail` with an error; either unparks it. */
export interface Parked<T> {
  wake(value: T): void;
  fail(error: Error): void;
}

/**
 * Parks a caller in `queue` until woken, failed, timed out (resolves
 * `onTimeout()`, which may throw to reject) or aborted (rejects with
 * `AbortError`). The entry leaves the queue however it ends, so queues only
 * ever hold live waiters.
 */
export function park<T>(queue: Parked<T>[], timeoutMs: number | undefined, signal: AbortSignal | undefined, onTimeout: () => T): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const leave = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const at = queue.indexOf(entry);
      if (at >= 0) queue.splice(at, 1);
    };
    const entry: Parked<T> = {
      wake: (value) => {
        leave();
        resolve(value);
      },
      fail: (error) => {
        leave();
        reject(error);
      },
    };
    const onAbort = () => entry.fail(new AbortError(signal!.reason));
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        leave();
        try {
          resolve(onTimeout());
        } catch (error) {
          reject(error);
        }
      }, Math.max(0, timeoutMs));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(entry);
  });
}
