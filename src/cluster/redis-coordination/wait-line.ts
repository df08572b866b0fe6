import { AbortError } from '../../errors.js';
import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';

/** One try of a waiting call's script: a result, or nothing yet and when to look again on our own (ms, 0: only when told). */
export type Attempt<R> = { readonly got: true; readonly result: R } | { readonly got: false; readonly retryInMs: number };

interface Waiter<R> {
  readonly attempt: () => Promise<Attempt<R>>;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
  /** Set when the caller gave up while its try was running: applied unless that try succeeded. */
  giveUp?: () => void;
  trying: boolean;
  done: boolean;
  timer?: LongTimeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The callers of one process waiting on one Redis queue for one thing (room
 * to send, or a message to receive), served oldest first. The line runs its
 * head's script when woken — by the queue's pub/sub notice, by the
 * subscriber reconnecting, or by a timer at the earliest visibility deadline
 * the last script reported (when a lapsed delivery may make a message ready
 * or free room). Nothing polls.
 *
 * Concurrency rule: at most one script of the line runs at a time, and a
 * wake-up during a pass starts another pass after it, so no notice is lost.
 * A caller that times out or aborts while its script runs gets that
 * script's result if it had one (the message was sent or received at that
 * moment), else its timeout or abort.
 */
export class WaitLine<R> {
  private readonly waiters: Waiter<R>[] = [];
  private pumping = false;
  private again = false;
  private lookAgain: LongTimeout | undefined;

  /** `onEmpty` runs when the last waiter leaves (the owner drops its subscription). */
  constructor(private readonly onEmpty: () => void) {}

  get size(): number {
    return this.waiters.length;
  }

  /** Waits in line; `onTimeout` gives the timed-out result (or throws the timeout's error). The caller checked `signal` first. */
  join(attempt: () => Promise<Attempt<R>>, timeoutMs: number | undefined, signal: AbortSignal | undefined, onTimeout: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiter: Waiter<R> = { attempt, resolve, reject, trying: false, done: false, signal };
      const cancel = (outcome: () => void) => {
        if (waiter.done) return;
        if (waiter.trying) waiter.giveUp = outcome;
        else this.finish(waiter, outcome);
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        waiter.timer = setLongTimeout(
          () =>
            cancel(() => {
              try {
                resolve(onTimeout());
              } catch (error) {
                reject(error);
              }
            }),
          Math.max(0, timeoutMs),
          { ref: true },
        );
      }
      if (signal !== undefined) {
        waiter.onAbort = () => cancel(() => reject(new AbortError(signal.reason)));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Something may have changed: the head tries again (then the next, while they succeed). */
  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /** Fails every waiter now (the queue was deleted, the node closes). */
  failAll(error: Error): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.trying) waiter.giveUp = () => waiter.reject(error);
      else this.finish(waiter, () => waiter.reject(error));
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.lookAgain?.clear();
        this.lookAgain = undefined;
        while (this.waiters.length > 0) {
          const head = this.waiters[0];
          head.trying = true;
          let attempt: Attempt<R>;
          try {
            attempt = await head.attempt();
          } catch (error) {
            head.trying = false;
            this.finish(head, () => head.reject(error));
            continue;
          }
          head.trying = false;
          if (attempt.got) {
            this.finish(head, () => head.resolve(attempt.result));
            continue;
          }
          if (head.giveUp !== undefined) {
            this.finish(head, head.giveUp);
            continue;
          }
          if (attempt.retryInMs > 0) this.lookAgain = setLongTimeout(() => this.wake(), attempt.retryInMs, { ref: true });
          break;
        }
      } while (this.again && this.waiters.length > 0);
    } finally {
      this.pumping = false;
    }
    if (this.waiters.length === 0) {
      this.lookAgain?.clear();
      this.lookAgain = undefined;
    }
  }

  private finish(waiter: Waiter<R>, outcome: () => void): void {
    if (waiter.done) return;
    waiter.done = true;
    waiter.timer?.clear();
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) this.waiters.splice(at, 1);
    outcome();
    if (this.waiters.length === 0) {
      this.lookAgain?.clear();
      this.lookAgain = undefined;
      this.onEmpty();
    }
  }
}
