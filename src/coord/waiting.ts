import { AbortError } from '../errors.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';

/** One parked caller: `wake` settles it with a value, `fail` with an error; either unparks it. */
export interface Parked<T> {
  wake(value: T): void;
  fail(error: Error): void;
}

/**
 * Parks a caller in `queue` until woken, failed, timed out (resolves
 * `onTimeout()`, which may throw to reject) or aborted (rejects with
 * `AbortError`). The entry leaves the queue however it ends, so queues only
 * ever hold live waiters. Callers validate `timeoutMs` (`checkDuration`) before
 * parking; here a non-finite one just means no timeout.
 */
export function park<T>(queue: Parked<T>[], timeoutMs: number | undefined, signal: AbortSignal | undefined, onTimeout: () => T): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    let timer: LongTimeout | undefined;
    const leave = () => {
      timer?.clear();
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
      // A long timer: a wait past 2^31-1 ms would otherwise time out at once.
      timer = setLongTimeout(
        () => {
          leave();
          try {
            resolve(onTimeout());
          } catch (error) {
            reject(error);
          }
        },
        Math.max(0, timeoutMs),
        { ref: true },
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(entry);
  });
}
