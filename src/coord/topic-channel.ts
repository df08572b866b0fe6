import { BackpressureError, ChannelClosedError, InvalidArgumentError, PayloadTooLargeError } from '../errors.js';
import { optionalDuration } from '../util/duration.js';
import { messageBytes } from './message-size.js';
import { park, type Parked } from './waiting.js';

export interface TopicChannelOptions {
  /** Largest message (bytes, UTF-8 or JSON). Default 1 MiB. */
  maxMessageBytes?: number;
}

export interface SubscribeOptions<T> {
  /** Only messages for which this returns true reach the subscriber. */
  filter?: (message: T) => boolean;
  /** Messages buffered for this subscriber before publishers feel backpressure. Default 1000. */
  capacity?: number;
}

export interface PublishOptions {
  /** What a publish does when a matching subscriber's buffer is full: wait for room (default) or fail with `BackpressureError`, delivering to nobody. */
  onFull?: 'wait' | 'fail';
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Publish/subscribe: every subscriber whose filter accepts a message gets
 * its own copy, in publish order. Each subscriber has a bounded buffer; a
 * publish waits until every matching subscriber has room and then delivers
 * to all of them at once (or fails and delivers to none), so a slow
 * subscriber slows publishers down instead of losing messages or growing
 * without limit. Closing a subscription releases the publishers it held up.
 */
export class TopicChannel<T = unknown> {
  private readonly subscriptions = new Set<TopicSubscription<T>>();
  private readonly publishers: Parked<void>[] = [];
  private readonly maxMessageBytes: number;
  private closed = false;
  published = 0;

  constructor(
    readonly name: string,
    options: TopicChannelOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    if (!Number.isSafeInteger(this.maxMessageBytes) || this.maxMessageBytes < 1) throw new InvalidArgumentError(`maxMessageBytes must be a positive integer, got ${this.maxMessageBytes}`);
  }

  /** Told the number of subscriptions after each subscribe and unsubscribe (the Redis topics keep the cluster's count). */
  onSubscriptionsChanged: ((count: number) => void) | undefined;

  subscribe(options: SubscribeOptions<T> = {}): TopicSubscription<T> {
    if (this.closed) throw new ChannelClosedError(this.name);
    const capacity = subscriptionCapacity(options);
    const subscription = new TopicSubscription<T>(this.name, capacity, options.filter, (s) => this.unsubscribe(s), () => this.roomFreed());
    this.subscriptions.add(subscription);
    this.onSubscriptionsChanged?.(this.subscriptions.size);
    return subscription;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Delivers to every matching subscriber; resolves how many got it. */
  async publish(message: T, options: PublishOptions = {}): Promise<number> {
    if (message === undefined) throw new InvalidArgumentError('a channel message cannot be undefined');
    optionalDuration('timeoutMs', options.timeoutMs);
    const bytes = messageBytes(message);
    if (bytes > this.maxMessageBytes) throw new PayloadTooLargeError(`a message of ${bytes} bytes is over channel ${this.name}'s limit of ${this.maxMessageBytes}`);
    for (;;) {
      if (this.closed) throw new ChannelClosedError(this.name);
      const targets = [...this.subscriptions].filter((s) => s.accepts(message));
      if (targets.every((s) => s.hasRoom)) {
        for (const s of targets) s.push(message);
        this.published++;
        return targets.length;
      }
      if (options.onFull === 'fail') throw new BackpressureError(`a subscriber of channel ${this.name} has a full buffer`);
      await park(this.publishers, options.timeoutMs, options.signal, () => {
        throw new BackpressureError(`a subscriber of channel ${this.name} stayed full for ${options.timeoutMs} ms`);
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subscriptions]) s.close();
    for (const p of [...this.publishers]) p.fail(new ChannelClosedError(this.name));
  }

  private unsubscribe(subscription: TopicSubscription<T>): void {
    if (this.subscriptions.delete(subscription)) this.onSubscriptionsChanged?.(this.subscriptions.size);
    this.roomFreed();
  }

  private roomFreed(): void {
    // Each waiting publisher re-checks; the ones still blocked park again.
    for (const p of [...this.publishers]) p.wake();
  }
}

/** One subscriber's view: `receive()`, or `for await (const m of subscription)`. */
export class TopicSubscription<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private readonly receivers: Parked<T | null>[] = [];
  private closed = false;

  constructor(
    readonly channel: string,
    readonly capacity: number,
    private readonly filter: ((message: T) => boolean) | undefined,
    private readonly onClose: (s: TopicSubscription<T>) => void,
    private readonly onRoom: () => void,
  ) {}

  get pending(): number {
    return this.buffer.length;
  }

  get hasRoom(): boolean {
    return this.buffer.length < this.capacity || this.receivers.length > 0;
  }

  accepts(message: T): boolean {
    if (this.closed) return false;
    try {
      return this.filter === undefined || this.filter(message) === true;
    } catch {
      return false; // a throwing filter rejects the message rather than breaking the publisher
    }
  }

  push(message: T): void {
    const receiver = this.receivers[0];
    if (receiver !== undefined) receiver.wake(message);
    else this.buffer.push(message);
  }

  /** The next message, or `null` after `timeoutMs` or once closed and drained. */
  receive(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T | null> {
    try {
      optionalDuration('timeoutMs', options.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.buffer.length > 0) {
      const message = this.buffer.shift()!;
      if (this.buffer.length === this.capacity - 1) this.onRoom();
      return Promise.resolve(message);
    }
    if (this.closed || options.timeoutMs === 0) return Promise.resolve(null);
    const waiting = park(this.receivers, options.timeoutMs, options.signal, () => null);
    this.onRoom(); // a waiting receiver is room
    return waiting;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of [...this.receivers]) r.wake(null);
    this.onClose(this);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const message = await this.receive();
      if (message === null) return;
      yield message;
    }
  }
}

/** The buffer size of a subscription, with its options checked (the Redis topics check them before any call). */
export function subscriptionCapacity<T>(options: SubscribeOptions<T>): number {
  const capacity = options.capacity ?? 1000;
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`capacity must be a positive integer, got ${capacity}`);
  if (options.filter !== undefined && typeof options.filter !== 'function') throw new InvalidArgumentError('filter must be a function');
  return capacity;
}
