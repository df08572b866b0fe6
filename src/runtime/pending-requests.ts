import { AbortError, ActorCrashedError, ActorNotFoundError, AskTimeoutError, ErrorCode, ModuleNotFoundError, type PlexError } from '../errors.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timer.js';
import type { WorkerLink } from './worker-link.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  link: WorkerLink;
  actorId?: string;
  timer?: LongTimeout;
  cleanup?: () => void;
}

export interface RequestOptions {
  /** The actor the request is about; named in timeout and crash errors. */
  actorId?: string;
  /** Rejects with `AskTimeoutError` past this; default: no timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Requests sent to the workers whose answer has not come back (asks,
 * spawns, stops, state reads and writes), by request id. A request ends
 * once, by whichever comes first: its answer, its timeout, its signal, its
 * worker's death or the runtime's close; an answer that arrives after that
 * is dropped. A request counts in its link's `inFlight` while pending.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextRequest = 1;

  /** A fresh request id; host calls made while handling a message carry its id as their context. */
  newId(): number {
    return this.nextRequest++;
  }

  /** Registers request `requestId` to `link`, then calls `send` to put it on the wire; resolves with the worker's answer. */
  send<T>(link: WorkerLink, requestId: number, send: () => void, options: RequestOptions = {}): Promise<T> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { resolve: resolve as (v: unknown) => void, reject, link, actorId: options.actorId };
      const onAbort = () => {
        this.settle(requestId);
        reject(new AbortError(signal!.reason));
      };
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        // A long timer: a timeout past 2^31-1 ms would otherwise fire at once.
        entry.timer = setLongTimeout(
          () => {
            this.settle(requestId);
            reject(new AskTimeoutError(options.actorId ?? '?', timeoutMs));
          },
          timeoutMs,
          { ref: true },
        );
      }
      if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
      entry.cleanup = () => {
        entry.timer?.clear();
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(requestId, entry);
      link.inFlight++;
      send();
    });
  }

  /**
   * A worker's answer: with `code` null the request resolves with `value`,
   * otherwise it rejects with the error `code` names (`value` is then the
   * message).
   */
  answer(requestId: number, code: string | null, value: unknown): void {
    const entry = this.settle(requestId);
    if (entry === undefined) return; // timed out or aborted already
    if (code === null) entry.resolve(value);
    else entry.reject(errorFor(code, entry.actorId ?? '', value as string));
  }

  /** Rejects every request sent to `link`: its worker died, so no answer will come. */
  failLink(link: WorkerLink, reason: string): void {
    for (const [id, p] of this.pending) {
      if (p.link === link) {
        this.settle(id);
        p.reject(new ActorCrashedError(ErrorCode.ActorTrapped, p.actorId ?? '', `worker ${link.index} died: ${reason}`));
      }
    }
  }

  /** Rejects every pending request with `error()` (the runtime is closing). */
  rejectAll(error: () => Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup?.();
      p.reject(error());
    }
  }

  /** Removes a pending request; returns it if it was still pending. */
  private settle(requestId: number): Pending | undefined {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return undefined;
    this.pending.delete(requestId);
    entry.link.inFlight--;
    entry.cleanup?.();
    return entry;
  }
}

/** The error a worker's failure code stands for. */
function errorFor(code: string, actorId: string, message: string): PlexError {
  switch (code) {
    case ErrorCode.ActorNotFound:
      return new ActorNotFoundError(actorId);
    case ErrorCode.ModuleNotFound:
      return new ModuleNotFoundError(message);
    default:
      return new ActorCrashedError(code as ErrorCode, actorId, message);
  }
}
