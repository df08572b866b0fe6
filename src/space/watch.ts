import { AbortError, WatchOverflowError } from '../errors.js';
import type { CompiledTemplate } from '../tuple/template.js';
import type { Tuple } from '../tuple/types.js';
import type { Subscription } from './template-registry.js';

export type WatchEventType = 'write' | 'take' | 'expire';

/** What a watcher sees. `overflow` reports events dropped under `overflow: 'drop-oldest'`. */
export type WatchEvent =
  | { readonly type: 'write'; readonly tuple: Tuple }
  | { readonly type: 'take'; readonly tuple: Tuple }
  | { readonly type: 'expire'; readonly tuple: Tuple }
  | { readonly type: 'overflow'; readonly dropped: number };

/**
 * What happens when a watcher falls `bufferSize` events behind:
 * - `drop-oldest` (default): the oldest buffered event is dropped, and the
 *   next event the consumer gets is `{ type: 'overflow', dropped }` saying how
 *   many were lost; the watch goes on.
 * - `error`: the watch stops at once; the consumer gets the buffered events,
 *   then the iteration throws `WatchOverflowError` (`PLEX_ERR_WATCH_OVERFLOW`).
 * Either way a slow consumer costs at most `bufferSize` events of memory.
 */
export type WatchOverflowPolicy = 'drop-oldest' | 'error';

export interface WatchOptions {
  /** Event types to deliver. Default: all three. */
  events?: readonly WatchEventType[];
  /** Ends the watch; the iteration throws `AbortError`. */
  signal?: AbortSignal;
  /** Events buffered for a slow consumer. Default: the space's `watchBufferSize` (1024). */
  bufferSize?: number;
  /** Default `drop-oldest`. */
  overflow?: WatchOverflowPolicy;
  /** First deliver every tuple already in the space as a `write` event. Default false. */
  includeExisting?: boolean;
}

/**
 * One watcher: a bounded queue between the space (producer, synchronous) and
 * an async iterator (consumer). At most one `next()` is pending at a time in
 * a `for await` loop; a second concurrent `next()` queues behind it.
 */
export class Watcher implements Subscription, AsyncIterableIterator<WatchEvent> {
  dead = false;
  private readonly buffer: WatchEvent[] = [];
  private dropped = 0;
  private readonly pending: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void }[] = [];
  /** Set when the watch is over; thrown after the buffer drains, or `null` to end quietly. */
  private ending: Error | null | undefined;

  constructor(
    readonly seq: number,
    readonly template: CompiledTemplate,
    private readonly types: ReadonlySet<WatchEventType>,
    private readonly bufferSize: number,
    private readonly overflow: WatchOverflowPolicy,
    private readonly detach: (watcher: Watcher) => void,
  ) {}

  wants(type: WatchEventType): boolean {
    return this.ending === undefined && this.types.has(type);
  }

  push(event: WatchEvent): void {
    if (this.ending !== undefined) return;
    const waiting = this.pending.shift();
    if (waiting !== undefined) {
      waiting.resolve({ value: event, done: false });
      return;
    }
    if (this.buffer.length >= this.bufferSize) {
      if (this.overflow === 'error') {
        this.end(new WatchOverflowError(this.bufferSize));
        return;
      }
      this.buffer.shift();
      this.dropped++;
    }
    this.buffer.push(event);
  }

  /** Ends the watch: `error` is thrown to the consumer after buffered events, `null` ends it quietly. */
  end(error: Error | null): void {
    if (this.ending !== undefined) return;
    this.ending = error;
    this.detach(this);
    this.settlePending();
  }

  abort(reason: unknown): void {
    this.end(new AbortError(reason));
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.dropped > 0) {
      const dropped = this.dropped;
      this.dropped = 0;
      return Promise.resolve({ value: { type: 'overflow', dropped }, done: false });
    }
    const event = this.buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.ending !== undefined) return this.finish();
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.buffer.length = 0;
    this.end(null);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): Promise<IteratorResult<WatchEvent>> {
    const error = this.ending;
    if (error) {
      // Thrown once; the iterator is done afterwards.
      this.ending = null;
      return Promise.reject(error);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private settlePending(): void {
    // Pending next() calls exist only when the buffer is empty.
    while (this.pending.length > 0) {
      const waiting = this.pending.shift()!;
      this.finish().then(waiting.resolve, waiting.reject);
    }
  }
}
